import Foundation
import Herald
import SQLiteNIO

extension WriteContext {
    /// Deletes the events that every policy matching their type lets go; returns how many.
    ///
    /// An event a consumer group has not acknowledged (waiting, leased, dead-lettered, or not yet taken
    /// by the group) stays unless every matching policy sets ``RetentionPolicy/removesUnacknowledged``;
    /// deleting it removes it from the groups too.
    func applyRetention(_ policies: [RetentionPolicy]) async throws -> Int {
        guard !policies.isEmpty else { return 0 }
        let groups = try await query("SELECT topic, cursor FROM consumer_groups").compactMap { row in
            (row.column("topic")?.string).flatMap { try? TopicPattern($0) }.map {
                (topic: $0, cursor: Int64(row.column("cursor")?.integer ?? 0))
            }
        }
        let pending = Set(
            try await query("SELECT DISTINCT sequence FROM group_pending").compactMap {
                $0.column("sequence")?.integer.map(Int64.init)
            }
        )
        func isUnacknowledged(_ sequence: Int64, type: String) -> Bool {
            pending.contains(sequence) || groups.contains { sequence > $0.cursor && $0.topic.matches(type) }
        }

        let cutoffs = policies.map { policy in policy.maxAge.map { now.adding(.zero - $0) } }
        var matchedCounts = Array(repeating: 0, count: policies.count)
        var doomed: [SQLiteData] = []
        // Newest first, so that a policy's count of matching events so far tells whether maxCount keeps one.
        var before = Int64.max
        while true {
            let page = try await query(
                "SELECT sequence, type, stored_at FROM events WHERE sequence < ? ORDER BY sequence DESC LIMIT 2000",
                [before.stored]
            )
            for row in page {
                let sequence = Int64(row.column("sequence")?.integer ?? 0)
                let type = row.column("type")?.string ?? ""
                let storedAt = Date(stored: row.column("stored_at")) ?? now
                var matched = false
                var allowed = true
                var removesUnacknowledged = true
                for (index, policy) in policies.enumerated() where policy.topic.matches(type) {
                    matched = true
                    matchedCounts[index] += 1
                    let tooOld = cutoffs[index].map { storedAt < $0 } ?? false
                    let tooMany = policy.maxCount.map { matchedCounts[index] > $0 } ?? false
                    if !tooOld && !tooMany { allowed = false }
                    if !policy.removesUnacknowledged { removesUnacknowledged = false }
                }
                if matched, allowed, removesUnacknowledged || !isUnacknowledged(sequence, type: type) {
                    doomed.append(sequence.stored)
                }
            }
            guard page.count == 2000, let last = page.last?.column("sequence")?.integer else { break }
            before = Int64(last)
        }
        try await query("DELETE FROM events WHERE sequence IN (?values)", values: doomed)
        return doomed.count
    }
}
