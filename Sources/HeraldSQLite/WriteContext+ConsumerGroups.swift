import Foundation
import Herald
import SQLiteNIO

/// The consumer-group statements that run in a write transaction; see ``GroupPosition`` for what a group
/// keeps where.
///
/// `group_pending.state`: 0 waiting (deliverable from `available_at`), 1 out with a consumer (until
/// `lease_until`; the lease itself is in memory), 2 dead letter.
extension WriteContext {
    /// The group's row: its settings, and where it stood when this process first read it (``position(of:)``
    /// has where it stands now).
    func group(named name: String, path: String) async throws -> ConsumerGroupRecord? {
        if let record = groupRecords[name] { return record }
        let record = try await query(
            "SELECT \(ConsumerGroupRecord.columns) FROM consumer_groups WHERE name = ?", [.text(name)]
        ).first.map { try ConsumerGroupRecord(row: $0, path: path) }
        groupRecords[name] = record
        return record
    }

    func existingGroup(named name: String, path: String) async throws -> ConsumerGroupRecord {
        guard let group = try await group(named: name, path: path) else {
            throw EventLogError(.groupNotFound, "no consumer group named '\(name)'; create it first")
        }
        return group
    }

    /// Creates the group, or returns `false` when it exists with the same settings.
    func createGroup(_ configuration: ConsumerGroupConfiguration, path: String) async throws -> Bool {
        if let existing = try await group(named: configuration.name, path: path) {
            guard existing.configuration == configuration else { throw existing.conflict(with: configuration) }
            return false
        }
        let cursor = try await cursor(at: configuration.start)
        try await query(
            """
            INSERT INTO consumer_groups (name, topic, start_kind, start_sequence, start_time, max_attempts,
                ack_timeout_seconds, ack_timeout_attoseconds, ordered, cursor, taken)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            ConsumerGroupRecord.values(of: configuration) + [cursor.stored, cursor.stored]
        )
        return true
    }

    /// The sequence a group at `position` reads after, over the log as it is now: for a time, the one
    /// before the first event stored at or after it.
    private func cursor(at position: ConsumerGroupConfiguration.StartPosition) async throws -> Int64 {
        switch position {
        case .earliest:
            return 0
        case .latest:
            return lastSequence
        case .after(let sequence):
            return max(0, sequence)
        case .time(let date):
            let first = try await query(
                "SELECT min(sequence) AS first FROM events WHERE stored_at >= ?",
                [date.stored]
            ).first?.column("first")?.integer
            return first.map { Int64($0) - 1 } ?? lastSequence
        }
    }

    /// Moves the group to `position` and ends its leases and waiting redeliveries; dead letters stay.
    /// Returns the new cursor. Must run in a transaction.
    func seek(
        group name: String,
        to position: ConsumerGroupConfiguration.StartPosition,
        path: String
    ) async throws -> Int64 {
        let group = try await existingGroup(named: name, path: path)
        let cursor = try await cursor(at: position)
        try await query("DELETE FROM group_pending WHERE group_id = ? AND state IN (0, 1)", [.integer(group.id)])
        let moved = GroupPosition(floor: cursor, taken: cursor, rowsDue: .none)
        try await save(moved, of: group)
        groups[group.id] = moved
        changed = true
        return cursor
    }

    /// The group's position: as this process left it, or as its row says.
    func position(of group: ConsumerGroupRecord) -> GroupPosition {
        groups[group.id] ?? GroupPosition(floor: group.cursor, taken: group.taken)
    }

    /// Writes the group's durable position: how far it read, its leased events without a row, and its floor,
    /// just below the lowest of those (or how far it read, when there are none).
    private func save(_ position: GroupPosition, of group: ConsumerGroupRecord) async throws {
        let holes = position.leases.sequencesWithoutRows
        try await query(
            "UPDATE consumer_groups SET cursor = ?, taken = ?, holes = ? WHERE group_id = ?",
            [
                (holes.first.map { $0 - 1 } ?? position.taken).stored, position.taken.stored,
                .text(GroupPosition.encode(holes: holes)), .integer(group.id),
            ]
        )
    }

    /// One round of a poll: acknowledges `ids`, ends the leases that ran out, promotes due scheduled events,
    /// and leases up to `max` deliveries: first rows that came due (redeliveries, held-back events), then
    /// events read from the log beyond the group's position. Returns what it acknowledged and leased, when
    /// nothing was leased the next time on the store's clock at which something may be (a redelivery or a
    /// lease coming due), and whether the log holds more beyond what this round read.
    ///
    /// The acknowledgements write the group's position, so that they are durable once the round commits; a
    /// round without them writes nothing unless a lease ran out, a row came due or an ordered group held
    /// events back. In the steady state the position is its only write, so it runs under
    /// `SQLiteEventStore.inLazyTransaction`: every other write opens the transaction first
    /// (``beginWrites()``), and the position is written last.
    func pollRound(_ group: ConsumerGroupRecord, max: Int, acknowledging ids: Set<String>, path: String)
        async throws -> PollRound
    {
        var position = position(of: group)
        let acknowledged = try await acknowledge(ids, in: &position, of: group)
        let expired = try await expireLeases(&position, of: group)
        if let due = earliestDue, due <= now { try await beginWrites() }
        try await promoteDueEvents()
        let deliveryPrefix = UUID().uuidString.lowercased() + "-"
        var deliveries = try await leaseRows(&position, of: group, max: max, prefix: deliveryPrefix, path: path)
        var fromLog: (deliveries: [Delivery], more: Bool, heldBack: Bool) = ([], false, false)
        if deliveries.count < max {
            fromLog = try await leaseFromLog(
                &position, of: group, max: max - deliveries.count, prefix: deliveryPrefix, path: path)
            deliveries += fromLog.deliveries
        }
        if !acknowledged.isEmpty || expired || fromLog.heldBack { try await save(position, of: group) }
        groups[group.id] = position
        guard deliveries.isEmpty else {
            return PollRound(acknowledged: acknowledged, deliveries: deliveries, more: fromLog.more)
        }
        // A row due already waits behind its partition key, for an ack (which wakes the poll) or for a lease
        // to end: only a later due time is a time to wake at.
        let rowDue: Date? =
            switch position.rowsDue {
            case .at(let date) where date > now: date
            case .at, .none, .unknown: nil
            }
        let nextDue = [rowDue, position.leases.earliestEnd].compactMap { $0 }.min()
        return PollRound(acknowledged: acknowledged, deliveries: [], nextDue: nextDue, more: fromLog.more)
    }

    /// Ends the current leases among `ids`, deleting the rows of their events; returns their ids.
    private func acknowledge(_ ids: Set<String>, in position: inout GroupPosition, of group: ConsumerGroupRecord)
        async throws -> Set<String>
    {
        var acknowledged: Set<String> = []
        var rows: [SQLiteData] = []
        for id in ids {
            guard let lease = position.leases.settle(id, at: now) else { continue }
            acknowledged.insert(id)
            if lease.hasRow { rows.append(lease.sequence.stored) }
        }
        if !rows.isEmpty {
            try await beginWrites()
            try await query(
                "DELETE FROM group_pending WHERE group_id = ? AND sequence IN (?values)",
                prefix: [.integer(group.id)],
                values: rows
            )
        }
        // An ordered group's next event of the same partition key may be deliverable now.
        if !acknowledged.isEmpty { changed = true }
        return acknowledged
    }

    /// Ends the group's leases that ran out: each counts as a failed attempt, and after the last one the
    /// event becomes a dead letter. Returns whether any ran out; then the position must be saved.
    private func expireLeases(_ position: inout GroupPosition, of group: ConsumerGroupRecord) async throws -> Bool {
        let expired = position.leases.expire(at: now)
        guard !expired.isEmpty else { return false }
        try await recordFailures(
            expired,
            of: group,
            availableAt: { $0.until },
            error: "lease expired after \(group.configuration.ackTimeout) without an ack"
        )
        position.rowsDue = .unknown
        return true
    }

    /// Writes the rows of leases that ended without an ack: waiting for a redelivery from `availableAt`, or
    /// dead letters after the last attempt.
    private func recordFailures(
        _ leases: [GroupLeases.Lease],
        of group: ConsumerGroupRecord,
        availableAt: (GroupLeases.Lease) -> Date,
        error: String?
    ) async throws {
        let maxAttempts = group.configuration.maxAttempts
        try await beginWrites()
        try await insert(
            into: "group_pending",
            columns: ["group_id", "sequence", "state", "attempt", "available_at", "last_error", "partition_key"],
            rows: leases.map { lease in
                [
                    .integer(group.id), lease.sequence.stored, .integer(lease.attempt >= maxAttempts ? 2 : 0),
                    .integer(lease.attempt), availableAt(lease).stored, error.map(SQLiteData.text) ?? .null,
                    lease.partitionKey.map(SQLiteData.text) ?? .null,
                ]
            },
            conflict: """
                 ON CONFLICT (group_id, sequence) DO UPDATE SET state = excluded.state, attempt = excluded.attempt,
                    available_at = excluded.available_at, last_error = excluded.last_error, lease_until = NULL
                """
        )
        if leases.contains(where: { $0.attempt < maxAttempts }) { changed = true }
    }

    /// Leases the group's rows that came due, oldest first: in an ordered group only the oldest unfinished
    /// one of each partition key, and none of a key out with a consumer.
    private func leaseRows(
        _ position: inout GroupPosition,
        of group: ConsumerGroupRecord,
        max: Int,
        prefix: String,
        path: String
    ) async throws -> [Delivery] {
        switch position.rowsDue {
        case .none: return []
        case .at(let date) where date > now: return []
        case .at, .unknown: break
        }
        let ordered = group.configuration.ordered
        let candidates = try await query(
            ordered
                ? """
                SELECT p.sequence AS sequence, p.partition_key AS partition_key
                FROM group_pending AS p INDEXED BY group_pending_ready
                WHERE p.group_id = ?1 AND p.state = 0 AND p.available_at <= ?2
                    AND (p.partition_key IS NULL OR NOT EXISTS (
                        SELECT 1 FROM group_pending AS q
                        WHERE q.group_id = ?1 AND q.partition_key = p.partition_key AND q.state IN (0, 1)
                            AND q.sequence < p.sequence))
                ORDER BY p.sequence LIMIT ?3
                """
                : """
                SELECT sequence, partition_key FROM group_pending INDEXED BY group_pending_ready
                WHERE group_id = ?1 AND state = 0 AND available_at <= ?2 ORDER BY sequence LIMIT ?3
                """,
            // An ordered group's candidates include at most one per key out with a consumer, which it skips.
            [.integer(group.id), now.stored, .integer(max + (ordered ? position.leases.partitionKeys.count : 0))]
        )
        let chosen = candidates.filter { row in
            guard ordered, let key = row.column("partition_key")?.string else { return true }
            return !position.leases.holds(partitionKey: key)
        }.prefix(max).compactMap { $0.column("sequence")?.integer.map(SQLiteData.integer) }
        var deliveries: [Delivery] = []
        if !chosen.isEmpty {
            let leaseUntil = now.adding(group.configuration.ackTimeout)
            try await beginWrites()
            let leased = try await query(
                """
                UPDATE group_pending SET state = 1, attempt = attempt + 1, lease_until = ?
                WHERE group_id = ? AND sequence IN (?values)
                RETURNING sequence, attempt, partition_key,
                    (SELECT event FROM events WHERE events.sequence = group_pending.sequence) AS event
                """,
                prefix: [leaseUntil.stored, .integer(group.id)],
                values: Array(chosen)
            )
            let events = try SQLiteEventStore.decode(leased, path: path)
            for (row, stored) in zip(leased, events) {
                let attempt = row.column("attempt")?.integer ?? 1
                let id = prefix + String(stored.sequence)
                position.leases.add(
                    GroupLeases.Lease(
                        sequence: stored.sequence, attempt: attempt, until: leaseUntil,
                        partitionKey: row.column("partition_key")?.string, hasRow: true),
                    id: id
                )
                deliveries.append(Delivery(id: id, attempt: attempt, stored: stored))
            }
        }
        let due = try await query(
            """
            SELECT min(available_at) AS due FROM group_pending INDEXED BY group_pending_by_state
            WHERE group_id = ? AND state = 0
            """,
            [.integer(group.id)]
        ).first?.column("due")
        position.rowsDue = Date(stored: due).map(GroupPosition.RowsDue.at) ?? .none
        return deliveries.sorted { $0.sequence < $1.sequence }
    }

    /// Reads up to `max` of the group's events beyond its position from the log and leases them; an ordered
    /// group holds back, as rows, the events whose partition key is out with a consumer or waits. Returns the
    /// deliveries, whether the log holds more beyond what was read, and whether events were held back (then
    /// the position must be saved).
    ///
    /// The read walks the log by sequence (`NOT INDEXED`: the index on type would have it sort every event of
    /// a prefix topic first), so it stops after `max` events, however long the backlog. Events with a row of
    /// their own beyond the position are dead letters met again after a seek, which stay dead.
    private func leaseFromLog(
        _ position: inout GroupPosition,
        of group: ConsumerGroupRecord,
        max: Int,
        prefix: String,
        path: String
    ) async throws -> (deliveries: [Delivery], more: Bool, heldBack: Bool) {
        guard position.taken < lastSequence else { return ([], false, false) }
        let condition = TopicCondition(group.configuration.topic)
        let rows = try await query(
            """
            SELECT sequence, partition_key, event FROM events NOT INDEXED
            WHERE sequence > ?\(condition.map { " AND " + $0.sql } ?? "")
                AND NOT EXISTS (SELECT 1 FROM group_pending AS p WHERE p.group_id = ? AND p.sequence = events.sequence)
            ORDER BY sequence LIMIT ?
            """,
            [position.taken.stored] + (condition?.bindings ?? []) + [.integer(group.id), .integer(max)]
        )
        position.taken =
            rows.count == max ? Int64(rows.last?.column("sequence")?.integer ?? 0) : lastSequence
        let events = try SQLiteEventStore.decode(rows, path: path)
        // An ordered group delivers one event per partition key at a time, in order: an event whose key is out
        // with a consumer or has a row waiting waits behind it, as a row.
        var blockedKeys: Set<String> = []
        if group.configuration.ordered {
            let keys = Set(rows.compactMap { $0.column("partition_key")?.string })
            if !keys.isEmpty {
                blockedKeys = Set(
                    try await query(
                        """
                        SELECT DISTINCT partition_key FROM group_pending INDEXED BY group_pending_by_key
                        WHERE group_id = ? AND partition_key IN (?values) AND state IN (0, 1)
                        """,
                        prefix: [.integer(group.id)],
                        values: keys.map(SQLiteData.text)
                    ).compactMap { $0.column("partition_key")?.string })
            }
        }
        let leaseUntil = now.adding(group.configuration.ackTimeout)
        var deliveries: [Delivery] = []
        var heldBack: [[SQLiteData]] = []
        for (row, stored) in zip(rows, events) {
            let key = row.column("partition_key")?.string
            if group.configuration.ordered, let key,
                blockedKeys.contains(key) || position.leases.holds(partitionKey: key)
            {
                blockedKeys.insert(key)
                heldBack.append([
                    .integer(group.id), stored.sequence.stored, .integer(0), .integer(0), now.stored, .text(key),
                ])
                continue
            }
            let id = prefix + String(stored.sequence)
            position.leases.add(
                GroupLeases.Lease(
                    sequence: stored.sequence, attempt: 1, until: leaseUntil, partitionKey: key, hasRow: false),
                id: id
            )
            deliveries.append(Delivery(id: id, attempt: 1, stored: stored))
        }
        if !heldBack.isEmpty {
            try await beginWrites()
            try await insert(
                into: "group_pending",
                columns: ["group_id", "sequence", "state", "attempt", "available_at", "partition_key"],
                rows: heldBack
            )
            position.rowsDue = .unknown
        }
        return (deliveries, position.taken < lastSequence, !heldBack.isEmpty)
    }

    /// Acknowledges the group's current deliveries among `ids` and saves its position, last; returns their
    /// ids. Runs in a transaction or under `SQLiteEventStore.inLazyTransaction`.
    func ack(group name: String, deliveryIDs ids: Set<String>, path: String) async throws -> Set<String> {
        let group = try await existingGroup(named: name, path: path)
        var position = position(of: group)
        let acknowledged = try await acknowledge(ids, in: &position, of: group)
        guard !acknowledged.isEmpty else { return [] }
        try await save(position, of: group)
        groups[group.id] = position
        return acknowledged
    }

    /// Ends the group's current deliveries among `ids` as failed: redelivered after `delay`, or
    /// dead-lettered with `error` after the last attempt. Returns their ids. Must run in a transaction.
    func nack(
        group name: String,
        deliveryIDs ids: [String],
        delay: Duration,
        error: String?,
        path: String
    ) async throws -> Set<String> {
        let group = try await existingGroup(named: name, path: path)
        var position = position(of: group)
        var failed: [String: GroupLeases.Lease] = [:]
        for id in Set(ids) {
            if let lease = position.leases.settle(id, at: now) { failed[id] = lease }
        }
        guard !failed.isEmpty else { return [] }
        let availableAt = now.adding(delay)
        try await recordFailures(Array(failed.values), of: group, availableAt: { _ in availableAt }, error: error)
        position.rowsDue = .unknown
        try await save(position, of: group)
        groups[group.id] = position
        // An ordered group's next event of the same partition key may be deliverable now.
        changed = true
        return Set(failed.keys)
    }

    /// Ends the group's leases that ran out, as a poll would, so that what is read next counts them.
    /// Must run in a transaction.
    func expireLeases(_ group: ConsumerGroupRecord) async throws {
        var position = position(of: group)
        guard try await expireLeases(&position, of: group) else { return }
        try await save(position, of: group)
        groups[group.id] = position
    }

    /// The group's dead letters, oldest sequence first.
    func deadLetters(group name: String, limit: Int, path: String) async throws -> [DeadLetteredEvent] {
        let group = try await existingGroup(named: name, path: path)
        try await expireLeases(group)
        let rows = try await query(
            """
            SELECT p.sequence AS sequence, p.attempt AS attempt, p.last_error AS last_error, e.event AS event
            FROM group_pending AS p JOIN events AS e ON e.sequence = p.sequence
            WHERE p.group_id = ? AND p.state = 2 ORDER BY p.sequence LIMIT ?
            """,
            [.integer(group.id), .integer(limit)]
        )
        let events = try SQLiteEventStore.decode(rows, path: path)
        return zip(rows, events).map { row, event in
            DeadLetteredEvent(
                stored: event,
                attempts: row.column("attempt")?.integer ?? 0,
                lastError: row.column("last_error")?.string
            )
        }
    }

    /// Makes the group's dead letters (those with these sequences, or all) deliverable again with fresh
    /// attempts; returns how many.
    func requeueDeadLetters(group name: String, sequences: [Int64]?, path: String) async throws -> Int {
        let group = try await existingGroup(named: name, path: path)
        try await expireLeases(group)
        let sql = """
            UPDATE group_pending SET state = 0, attempt = 0, available_at = ?, last_error = NULL
            WHERE group_id = ? AND state = 2
            """
        let prefix: [SQLiteData] = [now.stored, .integer(group.id)]
        let requeued =
            if let sequences {
                try await query(
                    sql + " AND sequence IN (?values) RETURNING sequence",
                    prefix: prefix,
                    values: Set(sequences).map(\.stored)
                )
            } else {
                try await query(sql + " RETURNING sequence", prefix)
            }
        if !requeued.isEmpty {
            var position = position(of: group)
            position.rowsDue = .unknown
            groups[group.id] = position
            changed = true
        }
        return requeued.count
    }
}
