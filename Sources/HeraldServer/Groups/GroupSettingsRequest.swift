import Foundation
import Herald

/// The body of `PUT /v1/groups/{name}`: the settings of a consumer group. Only `topic` is required.
///
/// ```json
/// {"topic":"orders.>","start":"earliest","max_attempts":5,"ack_timeout_ms":30000,"ordered":false}
/// ```
///
/// Defaults are those of ``ConsumerGroupConfiguration``: `start` `"earliest"` (every stored event of the
/// topic), `max_attempts` 5, `ack_timeout_ms` 30000 (a 30-second lease), `ordered` false. `start` is
/// `"earliest"`, `"latest"` (events appended after the group is created), `"after:SEQUENCE"` (events
/// after that sequence) or `"time:RFC3339"` (events stored at or after that time), the forms
/// `GET /v1/groups/{name}` shows.
struct GroupSettingsRequest: Decodable {
    var topic: String
    var start: String?
    var maxAttempts: Int?
    var ackTimeoutMilliseconds: Int?
    var ordered: Bool?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case topic, start, maxAttempts = "max_attempts", ackTimeoutMilliseconds = "ack_timeout_ms", ordered
    }

    static let example = #"{"topic":"orders.>","start":"earliest","max_attempts":5,"ack_timeout_ms":30000}"#

    /// The configuration of group `name`, checking every field's range.
    func configuration(name: String) throws(ProblemDetails) -> ConsumerGroupConfiguration {
        let pattern: TopicPattern
        do {
            pattern = try TopicPattern(topic)
        } catch {
            throw .invalidBody(
                "field 'topic' is not a valid pattern: \(error); use dot-separated tokens with '*' for one token "
                    + "and a final '>' for the rest, such as 'orders.*' or 'orders.>'")
        }
        var configuration = ConsumerGroupConfiguration(name: name, topic: pattern)
        if let start {
            configuration.start = try Self.startPosition(start)
        }
        if let maxAttempts {
            guard (1...1_000).contains(maxAttempts) else {
                throw .invalidBody("field 'max_attempts' must be from 1 to 1000, got \(maxAttempts)")
            }
            configuration.maxAttempts = maxAttempts
        }
        if let ackTimeoutMilliseconds {
            guard (1...86_400_000).contains(ackTimeoutMilliseconds) else {
                throw .invalidBody(
                    "field 'ack_timeout_ms' must be from 1 to 86400000 (24 hours), got \(ackTimeoutMilliseconds)")
            }
            configuration.ackTimeout = .milliseconds(ackTimeoutMilliseconds)
        }
        if let ordered { configuration.ordered = ordered }
        return configuration
    }

    /// Parses a position: `earliest`, `latest`, `after:SEQUENCE` or `time:RFC3339`; an error names `field`.
    static func startPosition(_ text: String, field: String = "start") throws(ProblemDetails)
        -> ConsumerGroupConfiguration.StartPosition
    {
        if let position = ConsumerGroupConfiguration.StartPosition(text: text) { return position }
        throw .invalidBody(
            "field '\(field)' must be \"earliest\", \"latest\", \"after:SEQUENCE\" or \"time:RFC3339\", "
                + "got '\(text.prefix(100))'")
    }
}
