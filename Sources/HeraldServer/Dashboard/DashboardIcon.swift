extension DashboardAsset {
    /// `favicon.svg`: the dashboard's icon, a signal fanning out from a point.
    static let icon = DashboardAsset(
        contentType: "image/svg+xml",
        text: #"""
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
              <rect width="32" height="32" rx="7" fill="#2f6fde"/>
              <circle cx="9" cy="23" r="3" fill="#fff"/>
              <path d="M9 14a9 9 0 0 1 9 9M9 7a16 16 0 0 1 16 16" fill="none" stroke="#fff" stroke-width="3"
                stroke-linecap="round"/>
            </svg>

            """#)
}
