import Foundation
import Herald
import SQLiteNIO

extension WriteContext {
    /// Deletes the events that every policy matching their type lets go (``RetentionSelection``); returns how many,
    /// and the stored topics of groups that no longer parse, which keep every event after their cursor.
    ///
    /// An event a consumer group has not acknowledged (waiting, leased, dead-lettered, or not yet taken
    /// by the group) stays unless every matching policy sets ``RetentionPolicy/removesUnacknowledged``;
    /// deleting it removes it from the groups too.
    func applyRetention(_ policies: [RetentionPolicy]) async throws -> (deleted: Int, damagedGroupTopics: [String]) {
        guard !policies.isEmpty else { return (0, []) }
        let groups = try await query("SELECT topic, cursor FROM consumer_groups").map { row in
            (topic: row.column("topic")?.string ?? "", cursor: Int64(row.column("cursor")?.integer ?? 0))
        }
        let pending = Set(
            try await query("SELECT DISTINCT sequence FROM group_pending").compactMap {
                $0.column("sequence")?.integer.map(Int64.init)
            }
        )
        var selection = RetentionSelection(policies: policies, now: now, groups: groups, pending: pending)
        var doomed: [SQLiteData] = []
        // Newest first, as the selection counts each policy's matches.
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
                if selection.deletes(sequence: sequence, type: type, storedAt: storedAt) {
                    doomed.append(sequence.stored)
                }
            }
            guard page.count == 2000, let last = page.last?.column("sequence")?.integer else { break }
            before = Int64(last)
        }
        try await query("DELETE FROM events WHERE sequence IN (?values)", values: doomed)
        return (doomed.count, selection.damagedGroupTopics)
    }
}
