import Foundation
import Herald

/// A consumer group as the API shows it: its settings and counts, the body of `GET /v1/groups/{name}`
/// and an entry of `GET /v1/groups`.
///
/// ```json
/// {"name":"billing","topic":"orders.>","start":"earliest","max_attempts":5,"ack_timeout_ms":30000,
///  "ordered":false,"lag":3,"in_flight":1,"dead_letters":0}
/// ```
///
/// `lag` counts the events of the topic not acknowledged yet (waiting, in flight or waiting for
/// redelivery; dead letters excluded), `in_flight` the deliveries leased and neither acknowledged nor
/// expired, `dead_letters` the events given up on.
struct GroupResource: Encodable, Equatable {
    var name: String
    var topic: String
    var start: String
    var maxAttempts: Int
    var ackTimeoutMilliseconds: Int64
    var ordered: Bool
    var lag: Int
    var inFlight: Int
    var deadLetters: Int

    enum CodingKeys: String, CodingKey {
        case name, topic, start, maxAttempts = "max_attempts", ackTimeoutMilliseconds = "ack_timeout_ms", ordered,
            lag, inFlight = "in_flight", deadLetters = "dead_letters"
    }

    init(_ info: ConsumerGroupInfo) {
        let configuration = info.configuration
        name = configuration.name
        topic = configuration.topic.description
        start = Self.describe(configuration.start)
        maxAttempts = configuration.maxAttempts
        ackTimeoutMilliseconds = Self.milliseconds(configuration.ackTimeout)
        ordered = configuration.ordered
        lag = info.lag
        inFlight = info.inFlight
        deadLetters = info.deadLetters
    }

    /// The `start` field's form of a start position; ``GroupSettingsRequest`` reads it back.
    static func describe(_ start: ConsumerGroupConfiguration.StartPosition) -> String {
        switch start {
        case .earliest: "earliest"
        case .latest: "latest"
        case .after(let sequence): "after:\(sequence)"
        case .time(let date): "time:\(RFC3339.format(date))"
        }
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
    }

    /// How `requested` differs from `existing`, one phrase per setting, such as `max_attempts is 5, not 3`.
    static func differences(existing: ConsumerGroupConfiguration, requested: ConsumerGroupConfiguration) -> [String] {
        var differences: [String] = []
        func compare(_ field: String, _ old: String, _ new: String) {
            if old != new { differences.append("\(field) is \(old), not \(new)") }
        }
        compare("topic", "'\(existing.topic)'", "'\(requested.topic)'")
        compare("start", describe(existing.start), describe(requested.start))
        compare("max_attempts", "\(existing.maxAttempts)", "\(requested.maxAttempts)")
        compare("ack_timeout_ms", "\(milliseconds(existing.ackTimeout))", "\(milliseconds(requested.ackTimeout))")
        compare("ordered", "\(existing.ordered)", "\(requested.ordered)")
        return differences
    }
}
