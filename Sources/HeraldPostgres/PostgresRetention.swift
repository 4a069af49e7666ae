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

    /// Deletes the events that every policy matching their type lets go; returns how many.
    ///
    /// An event a consumer group has not acknowledged (waiting, leased, dead-lettered, or not yet taken by
    /// the group) stays unless every matching policy sets ``RetentionPolicy/removesUnacknowledged``.
    func apply(_ policies: [RetentionPolicy], on connection: PostgresConnection) async throws -> Int {
        var groups: [(topic: TopicPattern, cursor: Int64)] = []
        for try await (topic, cursor) in try await connection.query(
            "SELECT topic, cursor FROM \(unescaped: tables.groups)",
            logger: logger
        ).decode((String, Int64).self) {
            if let pattern = try? TopicPattern(topic) { groups.append((pattern, cursor)) }
        }
        var pending = Set<Int64>()
        for try await sequence in try await connection.query(
            "SELECT DISTINCT sequence FROM \(unescaped: tables.pending)",
            logger: logger
        ).decode(Int64.self) {
            pending.insert(sequence)
        }
        func isUnacknowledged(_ sequence: Int64, type: String) -> Bool {
            pending.contains(sequence) || groups.contains { sequence > $0.cursor && $0.topic.matches(type) }
        }

        let cutoffs = policies.map { policy in policy.maxAge.map { now.adding(.zero - $0) } }
        var matchedCounts = Array(repeating: 0, count: policies.count)
        var doomed: [Int64] = []
        // Newest first, so that a policy's count of matching events so far tells whether maxCount keeps one.
        var before = Int64.max
        while true {
            var page: [(Int64, String, Double)] = []
            for try await row in try await connection.query(
                """
                SELECT sequence, type, stored_at FROM \(unescaped: tables.events) WHERE sequence < \(before)
                ORDER BY sequence DESC LIMIT 2000
                """,
                logger: logger
            ).decode((Int64, String, Double).self) {
                page.append(row)
            }
            for (sequence, type, storedAt) in page {
                var matched = false
                var allowed = true
                var removesUnacknowledged = true
                for (index, policy) in policies.enumerated() where policy.topic.matches(type) {
                    matched = true
                    matchedCounts[index] += 1
                    let tooOld = cutoffs[index].map { Date(timeIntervalSinceReferenceDate: storedAt) < $0 } ?? false
                    let tooMany = policy.maxCount.map { matchedCounts[index] > $0 } ?? false
                    if !tooOld && !tooMany { allowed = false }
                    if !policy.removesUnacknowledged { removesUnacknowledged = false }
                }
                if matched, allowed, removesUnacknowledged || !isUnacknowledged(sequence, type: type) {
                    doomed.append(sequence)
                }
            }
            guard page.count == 2000, let last = page.last else { break }
            before = last.0
        }
        guard !doomed.isEmpty else { return 0 }
        try await connection.query(
            "DELETE FROM \(unescaped: tables.events) WHERE sequence = ANY(\(doomed))",
            logger: logger
        )
        return doomed.count
    }
}
