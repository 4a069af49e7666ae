import Foundation
import Herald
import SQLiteNIO

/// The consumer-group statements that run in a write transaction.
///
/// `group_pending.state`: 0 waiting (deliverable from `available_at`), 1 leased (until `lease_until`, as
/// `delivery_id`), 2 dead letter.
extension WriteContext {
    func group(named name: String, path: String) async throws -> ConsumerGroupRecord? {
        try await query("SELECT \(ConsumerGroupRecord.columns) FROM consumer_groups WHERE name = ?", [.text(name)])
            .first.map { try ConsumerGroupRecord(row: $0, path: path) }
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
                ack_timeout_seconds, ack_timeout_attoseconds, ordered, cursor)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            ConsumerGroupRecord.values(of: configuration) + [cursor.stored]
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
        try await query(
            "UPDATE consumer_groups SET cursor = ? WHERE group_id = ?", [cursor.stored, .integer(group.id)])
        leaseDeadlines[group.id] = .distantFuture
        changed = true
        return cursor
    }

    /// Whether leasing from `group` must write something first: scheduled events that came due, events
    /// appended since the group's cursor, or leases that may have run out (see ``prepareToLease(_:max:)``).
    func needsPreparation(toLease group: ConsumerGroupRecord) -> Bool {
        if let due = earliestDue, due <= now { return true }
        guard let deadline = leaseDeadlines[group.id] else { return true }
        return group.cursor < lastSequence || deadline <= now
    }

    /// Brings the group up to date for ``lease(_:max:path:)``: promotes due events, takes up to `max` of
    /// the events appended since its cursor, and ends its leases that ran out. Returns whether events are
    /// left beyond the cursor.
    func prepareToLease(_ group: ConsumerGroupRecord, max: Int) async throws -> Bool {
        try await promoteDueEvents()
        let more = try await takeNewEvents(group, limit: max)
        try await expireLeases(group)
        return more
    }

    /// Leases up to `max` deliveries of the group, which ``prepareToLease(_:max:)`` brought up to date (unless
    /// ``needsPreparation(toLease:)`` said it need not). Returns them, and when there are none, the next
    /// time on the store's clock at which one may become deliverable (a redelivery delay or a lease
    /// ending).
    ///
    /// One statement writes, so it may run outside a transaction.
    func lease(_ group: ConsumerGroupRecord, max: Int, path: String) async throws
        -> (deliveries: [Delivery], nextDue: Date?)
    {
        let leaseUntil = now.adding(group.configuration.ackTimeout)
        // The deliverable rows, oldest first; in an ordered group only the oldest unfinished one of each
        // partition key.
        let deliverable =
            group.configuration.ordered
            ? """
            SELECT p.sequence FROM group_pending AS p INDEXED BY group_pending_ready
            WHERE p.group_id = ?1 AND p.state = 0 AND p.available_at <= ?2
                AND (p.partition_key IS NULL OR NOT EXISTS (
                    SELECT 1 FROM group_pending AS q
                    WHERE q.group_id = ?1 AND q.partition_key = p.partition_key AND q.state IN (0, 1)
                        AND q.sequence < p.sequence))
            ORDER BY p.sequence LIMIT ?3
            """
            : """
            SELECT sequence FROM group_pending INDEXED BY group_pending_ready
            WHERE group_id = ?1 AND state = 0 AND available_at <= ?2
            ORDER BY sequence LIMIT ?3
            """
        let leased = try await query(
            """
            UPDATE group_pending SET state = 1, attempt = attempt + 1, lease_until = ?4, delivery_id = ?5 || sequence
            WHERE group_id = ?1 AND sequence IN (\(deliverable))
            RETURNING sequence, attempt, delivery_id,
                (SELECT event FROM events WHERE events.sequence = group_pending.sequence) AS event
            """,
            [
                .integer(group.id), now.stored, .integer(max), leaseUntil.stored,
                .text(UUID().uuidString.lowercased() + "-"),
            ]
        )
        if !leased.isEmpty, let deadline = leaseDeadlines[group.id] {
            leaseDeadlines[group.id] = min(deadline, leaseUntil)
        }
        guard !leased.isEmpty else {
            let next = try await query(
                """
                SELECT min(CASE state WHEN 0 THEN available_at ELSE lease_until END) AS next FROM group_pending
                WHERE group_id = ? AND ((state = 0 AND available_at > ?) OR state = 1)
                """,
                [.integer(group.id), now.stored]
            )
            return ([], Date(stored: next.first?.column("next")))
        }
        let events = try SQLiteEventStore.decode(leased, path: path)
        let deliveries = zip(leased, events).map { row, event in
            Delivery(
                id: row.column("delivery_id")?.string ?? "",
                attempt: row.column("attempt")?.integer ?? 1,
                stored: event
            )
        }
        return (deliveries.sorted { $0.sequence < $1.sequence }, nil)
    }

    /// Adds up to `limit` of the group's events appended since its cursor to its pending deliveries and
    /// moves the cursor past them (to the head when fewer are left), so that a poll's work depends on its
    /// batch, not on the backlog. Returns whether the cursor is still below the head.
    ///
    /// A dead letter met again after a seek keeps its row and stays a dead letter.
    private func takeNewEvents(_ group: ConsumerGroupRecord, limit: Int) async throws -> Bool {
        guard group.cursor < lastSequence else { return false }
        let condition = TopicCondition(group.configuration.topic)
        let matching = condition.map { " AND " + $0.sql } ?? ""
        let conditionBindings = condition?.bindings ?? []
        // The last of the next `limit` events of the topic, if there are that many. Both statements walk the
        // log by sequence (NOT INDEXED: the index on type would have them sort every event of a prefix topic
        // first), so they stop after the batch.
        let last = try await query(
            "SELECT sequence FROM events NOT INDEXED WHERE sequence > ?\(matching) ORDER BY sequence LIMIT 1 OFFSET ?",
            [group.cursor.stored] + conditionBindings + [.integer(limit - 1)]
        ).first?.column("sequence")?.integer
        let upTo = last.map(Int64.init) ?? lastSequence
        try await query(
            """
            INSERT OR IGNORE INTO group_pending (group_id, sequence, state, attempt, available_at, partition_key)
            SELECT ?, sequence, 0, 0, ?, partition_key FROM events NOT INDEXED
            WHERE sequence > ? AND sequence <= ?\(matching)
            """,
            [.integer(group.id), now.stored, group.cursor.stored, upTo.stored] + conditionBindings
        )
        try await query("UPDATE consumer_groups SET cursor = ? WHERE group_id = ?", [upTo.stored, .integer(group.id)])
        return upTo < lastSequence
    }

    /// Ends the group's leases that ran out: each counts as a failed attempt, and after the last one the
    /// event becomes a dead letter. Then notes when the first of the remaining leases ends, so that
    /// nothing is looked for until then.
    func expireLeases(_ group: ConsumerGroupRecord) async throws {
        if let deadline = leaseDeadlines[group.id], deadline > now { return }
        let error = SQLiteData.text("lease expired after \(group.configuration.ackTimeout) without an ack")
        let expired = try await query(
            """
            UPDATE group_pending INDEXED BY group_pending_by_state
            SET state = CASE WHEN attempt >= ? THEN 2 ELSE 0 END, available_at = lease_until, last_error = ?,
                lease_until = NULL, delivery_id = NULL
            WHERE group_id = ? AND state = 1 AND lease_until <= ?
            RETURNING state
            """,
            [.integer(group.configuration.maxAttempts), error, .integer(group.id), now.stored]
        )
        if expired.contains(where: { $0.column("state")?.integer == 0 }) { changed = true }
        let deadline = try await query(
            """
            SELECT min(lease_until) AS deadline FROM group_pending INDEXED BY group_pending_by_state
            WHERE group_id = ? AND state = 1
            """,
            [.integer(group.id)]
        )
        leaseDeadlines[group.id] = Date(stored: deadline.first?.column("deadline")) ?? .distantFuture
    }

    /// Acknowledges the group's current deliveries among `ids`; returns their ids.
    ///
    /// Up to ``maximumListLength`` distinct ids take one statement that writes, which may run outside a
    /// transaction.
    func ack(group name: String, deliveryIDs ids: Set<String>, path: String) async throws -> Set<String> {
        let acknowledged = try await query(
            """
            DELETE FROM group_pending INDEXED BY group_pending_by_delivery
            WHERE group_id = (SELECT group_id FROM consumer_groups WHERE name = ?) AND delivery_id IN (?values)
                AND state = 1 AND lease_until > ?
            RETURNING delivery_id
            """,
            prefix: [.text(name)],
            values: ids.map(SQLiteData.text),
            suffix: [now.stored]
        )
        guard !acknowledged.isEmpty else {
            _ = try await existingGroup(named: name, path: path)
            return []
        }
        changed = true
        return Set(acknowledged.compactMap { $0.column("delivery_id")?.string })
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
        // The update clears the ids, so they are read first, under the same conditions.
        let current = try await query(
            """
            SELECT delivery_id FROM group_pending INDEXED BY group_pending_by_delivery
            WHERE group_id = ? AND state = 1 AND lease_until > ? AND delivery_id IN (?values)
            """,
            prefix: [.integer(group.id), now.stored],
            values: Set(ids).map(SQLiteData.text)
        )
        guard !current.isEmpty else { return [] }
        let failed = try await query(
            """
            UPDATE group_pending INDEXED BY group_pending_by_delivery
            SET state = CASE WHEN attempt >= ? THEN 2 ELSE 0 END, available_at = ?, last_error = ?,
                lease_until = NULL, delivery_id = NULL
            WHERE group_id = ? AND state = 1 AND lease_until > ? AND delivery_id IN (?values)
            RETURNING sequence
            """,
            prefix: [
                .integer(group.configuration.maxAttempts), now.adding(delay).stored,
                error.map(SQLiteData.text) ?? .null, .integer(group.id), now.stored,
            ],
            values: Set(ids).map(SQLiteData.text)
        )
        if !failed.isEmpty { changed = true }
        return Set(current.compactMap { $0.column("delivery_id")?.string })
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
        if !requeued.isEmpty { changed = true }
        return requeued.count
    }
}
