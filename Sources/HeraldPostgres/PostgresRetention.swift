import Foundation
import Herald
import Logging
import PostgresNIO

/// Retention in one transaction: finds the events every matching policy lets go, newest first, and
/// deletes them (their pending deliveries go with them).
struct PostgresRetention: Sendable {
    let tables: PostgresTables
    let logger: Logger
    let now: Date

    /// Deletes the events that every policy matching their type lets go (``RetentionSelection``); returns how many.
    ///
    /// An event a consumer group has not acknowledged (waiting, leased, dead-lettered, or not yet taken by
    /// the group) stays unless every matching policy sets ``RetentionPolicy/removesUnacknowledged``. A group whose
    /// stored topic no longer parses keeps every event after its cursor, and is logged.
    func apply(_ policies: [RetentionPolicy], on connection: PostgresConnection) async throws -> Int {
        var groups: [(topic: String, cursor: Int64)] = []
        for try await (topic, cursor) in try await connection.query(
            "SELECT topic, cursor FROM \(unescaped: tables.groups)",
            logger: logger
        ).decode((String, Int64).self) {
            groups.append((topic, cursor))
        }
        var pending = Set<Int64>()
        for try await sequence in try await connection.query(
            """
            SELECT sequence FROM \(unescaped: tables.pending)
            UNION SELECT unnest(sequences) FROM \(unescaped: tables.leases)
            """,
            logger: logger
        ).decode(Int64.self) {
            pending.insert(sequence)
        }
        var selection = RetentionSelection(policies: policies, now: now, groups: groups, pending: pending)
        for topic in selection.damagedGroupTopics {
            logger.error(
                "a consumer group's stored topic does not parse; retention keeps every event after its cursor",
                metadata: ["topic": "\(topic)"])
        }
        var doomed: [Int64] = []
        // Newest first, as the selection counts each policy's matches.
        var before = Int64.max
        while true {
            var page: [(Int64, String, Double)] = []
            for try await row in try await connection.query(
                """
                SELECT sequence, type, stored_at FROM \(unescaped: tables.events)
                WHERE sequence < \(before) AND sequence <= \(unescaped: PostgresLogHead.settled(tables))
                ORDER BY sequence DESC LIMIT 2000
                """,
                logger: logger
            ).decode((Int64, String, Double).self) {
                page.append(row)
            }
            for (sequence, type, storedAt) in page
            where selection.deletes(
                sequence: sequence, type: type, storedAt: Date(timeIntervalSinceReferenceDate: storedAt))
            {
                doomed.append(sequence)
            }
            guard page.count == 2000, let last = page.last else { break }
            before = last.0
        }
        guard !doomed.isEmpty else { return 0 }
        // `removed_through` keeps `lastSequence` from going back when the newest events go.
        try await connection.query(
            """
            WITH removed AS (DELETE FROM \(unescaped: tables.events) WHERE sequence = ANY(\(doomed)) RETURNING sequence)
            UPDATE \(unescaped: tables.head) SET removed_through = greatest(removed_through, (SELECT max(sequence) FROM removed))
            """,
            logger: logger
        )
        return doomed.count
    }
}
