import Foundation

extension ConsumerGroupConfiguration.StartPosition {
    /// Parses a position as the HTTP API and the CLI write it: `earliest`, `latest`, `after:SEQUENCE` (0 or
    /// more) or `time:RFC3339`; `nil` for anything else.
    public init?(text: some StringProtocol) {
        switch text {
        case "earliest": self = .earliest
        case "latest": self = .latest
        default:
            if text.hasPrefix("after:"), let sequence = Int64(text.dropFirst(6)), sequence >= 0 {
                self = .after(sequence: sequence)
            } else if text.hasPrefix("time:"), let date = RFC3339.parse(text.dropFirst(5)) {
                self = .time(date)
            } else {
                return nil
            }
        }
    }

    /// The position as the HTTP API and the CLI write it; ``init(text:)`` reads it back.
    public var text: String {
        switch self {
        case .earliest: "earliest"
        case .latest: "latest"
        case .after(let sequence): "after:\(sequence)"
        case .time(let date): "time:\(RFC3339.format(date))"
        }
    }
}
