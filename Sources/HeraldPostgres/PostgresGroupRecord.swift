import Foundation
import Herald
import PostgresNIO

/// A row of `consumer_groups`: a group's id, settings and cursor.
struct PostgresGroupRecord: Sendable {
    /// The columns to select, first, for ``init(row:url:)``.
    static let columns = """
        group_id, name, topic, start_kind, start_sequence, start_time, max_attempts, ack_timeout_seconds,
        ack_timeout_attoseconds, ordered, cursor
        """

    var id: Int64
    var configuration: ConsumerGroupConfiguration
    var cursor: Int64

    init(row: PostgresRow, url: PostgresURL) throws {
        // By position, so that a query may select more columns after these.
        let cells = row.makeRandomAccess()
        let id = try cells[0].decode(Int64.self)
        let name = try cells[1].decode(String.self)
        let topicText = try cells[2].decode(String.self)
        let kind = try cells[3].decode(String.self)
        let startSequence = try cells[4].decode(Int64?.self)
        let startTime = try cells[5].decode(Double?.self)
        let maxAttempts = try cells[6].decode(Int32.self)
        let seconds = try cells[7].decode(Int64.self)
        let attoseconds = try cells[8].decode(Int64.self)
        let ordered = try cells[9].decode(Bool.self)
        let cursor = try cells[10].decode(Int64.self)
        func damaged(_ what: String) -> EventLogError {
            EventLogError(
                .storage,
                "consumer group '\(name)' in \(url) has an unreadable \(what); the table was changed by hand. "
                    + "Delete the group and create it again."
            )
        }
        guard let topic = try? TopicPattern(topicText) else { throw damaged("topic") }
        let start: ConsumerGroupConfiguration.StartPosition
        switch kind {
        case "earliest": start = .earliest
        case "latest": start = .latest
        case "after":
            guard let startSequence else { throw damaged("start sequence") }
            start = .after(sequence: startSequence)
        case "time":
            guard let startTime else { throw damaged("start time") }
            start = .time(Date(timeIntervalSinceReferenceDate: startTime))
        default: throw damaged("start position")
        }
        self.id = id
        self.cursor = cursor
        configuration = ConsumerGroupConfiguration(
            name: name,
            topic: topic,
            start: start,
            maxAttempts: Int(maxAttempts),
            ackTimeout: Duration(secondsComponent: seconds, attosecondsComponent: attoseconds),
            ordered: ordered
        )
    }

    /// Inserts a new group with `cursor`; returns nothing.
    static func insert(
        _ configuration: ConsumerGroupConfiguration,
        cursor: Int64,
        into table: String
    ) -> PostgresQuery {
        let (kind, sequence, time): (String, Int64?, Double?) =
            switch configuration.start {
            case .earliest: ("earliest", nil, nil)
            case .latest: ("latest", nil, nil)
            case .after(let sequence): ("after", sequence, nil)
            case .time(let date): ("time", nil, date.timeIntervalSinceReferenceDate)
            }
        let (seconds, attoseconds) = configuration.ackTimeout.components
        return """
            INSERT INTO \(unescaped: table) (name, topic, start_kind, start_sequence, start_time, max_attempts,
                ack_timeout_seconds, ack_timeout_attoseconds, ordered, cursor)
            VALUES (\(configuration.name), \(configuration.topic.text), \(kind), \(sequence), \(time),
                \(Int32(clamping: configuration.maxAttempts)), \(seconds), \(attoseconds), \(configuration.ordered),
                \(cursor))
            ON CONFLICT (name) DO NOTHING
            """
    }
}
