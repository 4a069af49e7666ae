import Foundation
import Herald
import SQLiteNIO

/// A row of `consumer_groups`: a group's id, settings and durable position (see ``GroupPosition``).
struct ConsumerGroupRecord: Sendable {
    /// The columns to select for ``init(row:path:)``.
    static let columns = """
        group_id, name, topic, start_kind, start_sequence, start_time, max_attempts, ack_timeout_seconds,
        ack_timeout_attoseconds, ordered, cursor, taken
        """

    var id: Int
    var configuration: ConsumerGroupConfiguration
    /// The floor: every event of the group at or below it is acknowledged or has a row.
    var cursor: Int64
    /// The highest sequence the group had read from the log when its position was last written.
    var taken: Int64

    init(row: SQLiteRow, path: String) throws {
        let name = row.column("name")?.string ?? ""
        func damaged(_ what: String) -> EventLogError {
            EventLogError(
                .storage,
                "consumer group '\(name)' in '\(path)' has an unreadable \(what); the database is damaged or was "
                    + "changed by hand. Delete the group and create it again."
            )
        }
        guard let id = row.column("group_id")?.integer else { throw damaged("id") }
        guard let topicText = row.column("topic")?.string, let topic = try? TopicPattern(topicText) else {
            throw damaged("topic")
        }
        let start: ConsumerGroupConfiguration.StartPosition
        switch row.column("start_kind")?.string {
        case "earliest": start = .earliest
        case "latest": start = .latest
        case "after":
            guard let sequence = row.column("start_sequence")?.integer else { throw damaged("start sequence") }
            start = .after(sequence: Int64(sequence))
        case "time":
            guard let date = Date(stored: row.column("start_time")) else { throw damaged("start time") }
            start = .time(date)
        default: throw damaged("start position")
        }
        guard let maxAttempts = row.column("max_attempts")?.integer,
            let seconds = row.column("ack_timeout_seconds")?.integer,
            let attoseconds = row.column("ack_timeout_attoseconds")?.integer,
            let ordered = row.column("ordered")?.bool, let cursor = row.column("cursor")?.integer,
            let taken = row.column("taken")?.integer
        else { throw damaged("setting") }
        self.id = id
        self.cursor = Int64(cursor)
        self.taken = Int64(taken)
        configuration = ConsumerGroupConfiguration(
            name: name,
            topic: topic,
            start: start,
            maxAttempts: maxAttempts,
            ackTimeout: Duration(secondsComponent: Int64(seconds), attosecondsComponent: Int64(attoseconds)),
            ordered: ordered
        )
    }

    /// The values of the columns from `name` to `ordered`, for an insert.
    static func values(of configuration: ConsumerGroupConfiguration) -> [SQLiteData] {
        let (kind, sequence, time): (String, SQLiteData, SQLiteData) =
            switch configuration.start {
            case .earliest: ("earliest", .null, .null)
            case .latest: ("latest", .null, .null)
            case .after(let sequence): ("after", sequence.stored, .null)
            case .time(let date): ("time", .null, date.stored)
            }
        let (seconds, attoseconds) = configuration.ackTimeout.components
        return [
            .text(configuration.name), .text(configuration.topic.text), .text(kind), sequence, time,
            .integer(configuration.maxAttempts), seconds.stored, attoseconds.stored,
            .integer(configuration.ordered ? 1 : 0),
        ]
    }

    /// Why `other` conflicts with this group's settings, naming each setting that differs.
    func conflict(with other: ConsumerGroupConfiguration) -> EventLogError {
        configuration.conflict(with: other)
    }
}
