import Herald

/// The body of `POST /v1/groups/{name}/seek`: `{"to":"earliest"}`, where `to` is `"earliest"`, `"latest"`,
/// `"after:SEQUENCE"` or `"time:RFC3339"`, as a group's `start`.
struct SeekRequest: Decodable {
    var to: String

    enum CodingKeys: String, CodingKey, CaseIterable {
        case to
    }

    static let example = #"{"to":"time:2026-01-01T00:00:00Z"}"#

    /// The position, checked.
    func checked() throws(ProblemDetails) -> ConsumerGroupConfiguration.StartPosition {
        try GroupSettingsRequest.startPosition(to, field: "to")
    }
}
