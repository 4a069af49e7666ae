import Foundation
import Herald
import Logging
import SQLiteNIO
import Synchronization

/// Consumer groups: a position per group in the log, leases in memory, and a row only for an event waiting
/// for a redelivery, held back, or dead (see ``GroupPosition``). A poll acknowledges what it was given to,
/// ends expired leases, and leases due rows and at most a batch of events from beyond its position, all in
/// one write transaction.
extension SQLiteEventStore {
    /// Creates a group; see ``ConsumerGroupStore/createGroup(_:)``.
    ///
    /// A group starting at ``ConsumerGroupConfiguration/StartPosition/time(_:)`` starts after the event
    /// before the first one stored at or after that time, as found when the group is created.
    public func createGroup(_ configuration: ConsumerGroupConfiguration) async throws -> Bool {
        try configuration.validate()
        return try await operation("createGroup") {
            try await writeTransaction { context in try await context.createGroup(configuration, path: path) }
        }
    }

    /// Deletes a group, its pending deliveries and dead letters; returns whether it existed.
    public func deleteGroup(named name: String) async throws -> Bool {
        try await operation("deleteGroup") {
            try await writeTransaction { context in
                let deleted = try await context.query(
                    "DELETE FROM consumer_groups WHERE name = ? RETURNING group_id",
                    [.text(name)]
                )
                for id in deleted.compactMap({ $0.column("group_id")?.integer }) { context.groups[id] = nil }
                context.groupRecords[name] = nil
                return !deleted.isEmpty
            }
        }
    }

    /// A group's settings and counts, or `nil` when there is none by that name.
    public func groupInfo(named name: String) async throws -> ConsumerGroupInfo? {
        try await operation("groupInfo") {
            try await promoteDueEvents()
            return try await withoutWrites { try await groupInfos(where: "WHERE g.name = ?", [.text(name)]).first }
        }
    }

    /// Every group, sorted by name.
    public func groups() async throws -> [ConsumerGroupInfo] {
        try await operation("groups") {
            try await promoteDueEvents()
            return try await withoutWrites { try await groupInfos(where: "", []) }
        }
    }

    /// The rows' counts in one statement, so that they come from one snapshot, with the leases and how far
    /// each group read as this process holds them; run it ``withoutWrites(_:)``, or a poll that commits
    /// between the two reads leaves its events counted nowhere. A lease that ran out counts as waiting for redelivery,
    /// or as a dead letter after the last attempt, as the next poll will make it.
    private func groupInfos(where condition: String, _ bindings: [SQLiteData]) async throws -> [ConsumerGroupInfo] {
        let connection = reader()
        let rows = try await connection.query(
            """
            SELECT \(ConsumerGroupRecord.columns),
                (SELECT count(*) FROM group_pending AS p WHERE p.group_id = g.group_id AND p.state = 0) AS waiting,
                (SELECT count(*) FROM group_pending AS p WHERE p.group_id = g.group_id AND p.state = 2) AS dead
            FROM consumer_groups AS g \(condition) ORDER BY g.name
            """,
            bindings
        )
        let (positions, now) = (state.withLock(\.groups), clock.now)
        var infos: [ConsumerGroupInfo] = []
        for row in rows {
            let record = try ConsumerGroupRecord(row: row, path: path)
            let position = positions[record.id] ?? GroupPosition(floor: record.cursor, taken: record.taken)
            // Events beyond how far the group read, but for dead letters met again after a seek.
            let topic = TopicCondition(record.configuration.topic)
            let unread =
                try await connection.query(
                    """
                    SELECT count(*) AS unread FROM events
                    WHERE sequence > ?\(topic.map { " AND " + $0.sql } ?? "")
                        AND NOT EXISTS (SELECT 1 FROM group_pending AS p WHERE p.group_id = ? AND p.sequence = events.sequence)
                    """,
                    [position.taken.stored] + (topic?.bindings ?? []) + [.integer(record.id)]
                ).first?.column("unread")?.integer ?? 0
            let ranOut = position.leases.ranOut(at: now, maxAttempts: record.configuration.maxAttempts)
            let inFlight = position.leases.current(at: now)
            infos.append(
                ConsumerGroupInfo(
                    configuration: record.configuration,
                    lag: (row.column("waiting")?.integer ?? 0) + inFlight + ranOut.waiting + unread,
                    inFlight: inFlight,
                    deadLetters: (row.column("dead")?.integer ?? 0) + ranOut.dead
                ))
        }
        return infos
    }

    /// Leases up to `max` deliveries, waiting up to `wait` for the first; see
    /// ``ConsumerGroupStore/poll(group:max:wait:)`` and ``poll(group:max:wait:acknowledging:)``.
    public func poll(group: String, max: Int, wait: Duration) async throws -> [Delivery] {
        try await poll(group: group, max: max, wait: wait, acknowledging: []).deliveries
    }

    /// Acknowledges `acknowledging` and leases up to `max` deliveries, waiting up to `wait` for the first;
    /// see ``ConsumerGroupStore/poll(group:max:wait:acknowledging:)``.
    ///
    /// The acknowledgements and the first leases are one transaction, committed durably; a poll without
    /// acknowledgements commits without waiting for the disk (see ``withWriter(softCommits:_:)``), and in
    /// the steady state writes nothing: leases are kept in memory (see ``GroupPosition``). Each round reads
    /// at most `max` new events from the log, so its work does not grow with the backlog.
    /// While waiting it is woken by every commit of this store, and on the store's clock when a
    /// redelivery or a lease comes due. `wait` is measured on the store's clock.
    ///
    /// - Throws: ``EventLogError/Code/groupNotFound``, or ``EventLogError/Code/invalidArgument`` when
    ///   `max` is not within 1...1,000.
    public func poll(group: String, max: Int, wait: Duration, acknowledging: [String]) async throws -> PollResult {
        try StoreLimits.checkPoll(max: max)
        if OutboxScope.store == ObjectIdentifier(self) {
            throw EventLogError.insideOwnTransaction("poll was called", instead: "poll after the transaction commits")
        }
        return try await operation("poll") {
            let deadline = clock.now.addingTimeInterval(wait.clampedToAYear.timeInterval)
            var toAcknowledge = Set(acknowledging)
            var acknowledged: Set<String> = []
            while true {
                // Capture the generation before checking for closing: `close` marks the store closed before
                // it signals, so a close in between either wakes the wait below or fails this check.
                let generation = changes.generation
                try Task.checkCancellation()
                try checkOpen()
                let ids = toAcknowledge
                let round = try await pollQueue.submit(
                    { PollRoundRequest(group: group, max: max, acknowledging: ids, continuation: $0) },
                    flush: { await self.flushPolls() })
                acknowledged.formUnion(round.acknowledged)
                toAcknowledge = []
                if !round.deliveries.isEmpty || clock.now >= deadline {
                    return PollResult(acknowledged: acknowledged, deliveries: round.deliveries)
                }
                // Events beyond what this round took may be deliverable (an ordered group's other keys).
                if round.more { continue }
                let scheduled = state.withLock(\.earliestDue)
                let wake = [deadline, round.nextDue, scheduled].compactMap { $0 }.min() ?? deadline
                try await changes.wait(after: generation, until: wake, clock: clock)
            }
        }
    }

    /// Runs queued poll rounds and acks until the queue is empty, together: one statement that writes when
    /// that is all a batch needs, else one transaction, so that concurrent polls and acks share one commit, and
    /// its sync to the disk when they carry acknowledgements (a commit without them does not wait for the
    /// disk). See ``GroupCommitQueue/drain(mapError:retriesAlone:commit:)``.
    func flushPolls() async {
        await pollQueue.drain(mapError: { SQLiteStorageFailure.map($0, path: path, operation: "poll or ack") }) {
            requests in
            try await withWriter(softCommits: requests.allSatisfy(\.acknowledging.isEmpty)) { context in
                if requests.count > 1 { try await context.beginWrites() }
                return try await inLazyTransaction(context) {
                    var rounds: [Result<PollRound, any Error>] = []
                    for request in requests {
                        guard request.max > 0 else {
                            let acknowledged = try await context.ack(
                                group: request.group, deliveryIDs: request.acknowledging, path: path)
                            rounds.append(.success(PollRound(acknowledged: acknowledged, deliveries: [], more: false)))
                            continue
                        }
                        let record = try await context.existingGroup(named: request.group, path: path)
                        rounds.append(
                            .success(
                                try await context.pollRound(
                                    record, max: request.max, acknowledging: request.acknowledging, path: path)))
                    }
                    return rounds
                }
            }
        }
    }

    /// Moves the group and ends its deliveries; see ``ConsumerGroupStore/seek(group:to:)``.
    ///
    /// A time finds the event before the first one stored at or after it, as when a group is created.
    public func seek(group: String, to position: ConsumerGroupConfiguration.StartPosition) async throws -> Int64 {
        try await operation("seek") {
            try await writeTransaction { context in try await context.seek(group: group, to: position, path: path) }
        }
    }

    /// How many rows the store keeps for the group's events (taken, in flight, waiting for a redelivery or
    /// dead): what the conformance suite counts to see that a poll's work does not grow with the backlog.
    package func groupRowCount(_ group: String) async throws -> Int {
        try await operation("groupRowCount") {
            let rows = try await reader().query(
                """
                SELECT count(*) AS count FROM group_pending AS p JOIN consumer_groups AS g ON g.group_id = p.group_id
                WHERE g.name = ?
                """,
                [.text(group)]
            )
            return rows.first?.column("count")?.integer ?? 0
        }
    }

    /// Acknowledges deliveries; see ``ConsumerGroupStore/ack(group:deliveryIDs:)``.
    public func ack(group: String, deliveryIDs: [String]) async throws -> Int {
        try await ackReturningIDs(group: group, deliveryIDs: deliveryIDs).count
    }

    /// Acknowledges deliveries and returns the ids that were current; see
    /// ``ConsumerGroupStore/ackReturningIDs(group:deliveryIDs:)``.
    ///
    /// Acks go through the poll rounds' group-commit queue, so that concurrent acks and polls share one
    /// durable commit; each is durable when it returns.
    public func ackReturningIDs(group: String, deliveryIDs: [String]) async throws -> Set<String> {
        try await operation("ack") {
            try await pollQueue.submit(
                { PollRoundRequest(group: group, max: 0, acknowledging: Set(deliveryIDs), continuation: $0) },
                flush: { await self.flushPolls() }
            ).acknowledged
        }
    }

    /// Appends events and acknowledges the delivery that caused them in one durable transaction; see
    /// ``AcknowledgingEventLog/append(_:acknowledging:of:)``.
    public func append(_ events: [Event], acknowledging deliveryID: String, of group: String) async throws
        -> [AppendResult]?
    {
        try AppendBatch.validate(events, expecting: nil)
        if OutboxScope.store == ObjectIdentifier(self) {
            throw EventLogError.insideOwnTransaction(
                "append was called", instead: "use the transaction's publish(_:) instead")
        }
        return try await operation("append") {
            try await writeTransaction { context in
                guard !(try await context.ack(group: group, deliveryIDs: [deliveryID], path: path)).isEmpty else {
                    return nil
                }
                // A failed append throws, and the transaction, with the acknowledgement, is rolled back.
                return try await context.append([AppendBatch(events: events, expectation: nil)])[0].get()
            }
        }
    }

    /// Negatively acknowledges deliveries; see ``ConsumerGroupStore/nack(group:deliveryIDs:delay:error:)``.
    ///
    /// - Throws: ``EventLogError/Code/invalidArgument`` for a negative `delay`.
    public func nack(group: String, deliveryIDs: [String], delay: Duration, error: String?) async throws -> Int {
        try await nackReturningIDs(group: group, deliveryIDs: deliveryIDs, delay: delay, error: error).count
    }

    /// Negatively acknowledges deliveries and returns the ids that were current; see
    /// ``ConsumerGroupStore/nackReturningIDs(group:deliveryIDs:delay:error:)``.
    ///
    /// - Throws: ``EventLogError/Code/invalidArgument`` for a negative `delay`.
    public func nackReturningIDs(group: String, deliveryIDs: [String], delay: Duration, error: String?)
        async throws -> Set<String>
    {
        try StoreLimits.checkNack(delay: delay)
        return try await operation("nack") {
            try await writeTransaction { context in
                try await context.nack(
                    group: group,
                    deliveryIDs: deliveryIDs,
                    delay: delay.clampedToAYear,
                    error: error,
                    path: path
                )
            }
        }
    }

    /// The group's dead letters, oldest sequence first, at most `limit`.
    public func deadLetters(group: String, limit: Int) async throws -> [DeadLetteredEvent] {
        try StoreLimits.checkRead(limit: limit, of: "dead letter")
        return try await operation("deadLetters") {
            try await writeTransaction { context in
                try await context.deadLetters(group: group, limit: limit, path: path)
            }
        }
    }

    /// Makes dead letters deliverable again with fresh attempts; see
    /// ``ConsumerGroupStore/requeueDeadLetters(group:sequences:)``.
    public func requeueDeadLetters(group: String, sequences: [Int64]?) async throws -> Int {
        try await operation("requeueDeadLetters") {
            try await writeTransaction { context in
                try await context.requeueDeadLetters(group: group, sequences: sequences, path: path)
            }
        }
    }

    /// Ends the leases of the process that had the file before: leases live in memory, so none survives it.
    /// The events it had out with consumers wait for a redelivery, as rows: the leased events without a row
    /// (each group's `holes`), and those with one. An attempt cut short is not counted, unless its lease had
    /// run out already; then it counts as any lease that runs out does, and may make the event a dead letter.
    ///
    /// A group whose `holes` cannot be read (changed by hand) gets a row for every event it had read above
    /// its floor without one, acknowledged or not: delivered again rather than lost, with a warning.
    static func recoverGroups(_ writer: SQLiteConnection, now: Date, path: String, logger: Logger) async throws {
        let groups = try await writer.query(
            "SELECT group_id, name, topic, cursor, taken, holes FROM consumer_groups WHERE holes != ''")
        let leased = try await writer.query("SELECT 1 FROM group_pending WHERE state = 1 LIMIT 1")
        guard !groups.isEmpty || !leased.isEmpty else { return }
        _ = try await writer.query("BEGIN IMMEDIATE")
        do {
            for group in groups {
                let id = group.column("group_id")?.integer ?? 0
                let insert = """
                    INSERT OR IGNORE INTO group_pending (group_id, sequence, state, attempt, available_at, partition_key)
                    SELECT ?, sequence, 0, 0, ?, partition_key FROM events
                    """
                if let holes = group.column("holes")?.string.flatMap(GroupPosition.decode(holes:)) {
                    for start in stride(from: 0, to: holes.count, by: WriteContext.maximumListLength) {
                        let chunk = holes[start..<min(start + WriteContext.maximumListLength, holes.count)]
                        let list = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
                        _ = try await writer.query(
                            insert + " WHERE sequence IN (\(list))",
                            [.integer(id), now.stored] + chunk.map(\.stored)
                        )
                    }
                    continue
                }
                let name = group.column("name")?.string ?? ""
                logger.warning(
                    """
                    a consumer group's record of its deliveries in flight is unreadable (changed by hand?); every \
                    event it had read above its floor is delivered again, acknowledged or not
                    """,
                    metadata: ["group": "\(name)", "path": "\(path)"]
                )
                let topic = (group.column("topic")?.string).flatMap { try? TopicPattern($0) }.flatMap {
                    TopicCondition($0)
                }
                _ = try await writer.query(
                    insert + " WHERE sequence > ? AND sequence <= ?\(topic.map { " AND " + $0.sql } ?? "")",
                    [
                        .integer(id), now.stored, group.column("cursor") ?? .integer(0),
                        group.column("taken") ?? .integer(0),
                    ]
                        + (topic?.bindings ?? [])
                )
            }
            _ = try await writer.query("UPDATE consumer_groups SET holes = '' WHERE holes != ''")
            _ = try await writer.query(
                """
                UPDATE group_pending SET
                    state = CASE WHEN lease_until <= ?1 AND attempt >= (SELECT max_attempts FROM consumer_groups AS g
                        WHERE g.group_id = group_pending.group_id) THEN 2 ELSE 0 END,
                    attempt = CASE WHEN lease_until <= ?1 THEN attempt ELSE max(attempt - 1, 0) END,
                    available_at = CASE WHEN lease_until <= ?1 THEN lease_until ELSE ?1 END,
                    last_error = CASE WHEN lease_until <= ?1 THEN 'lease expired without an ack' ELSE last_error END,
                    lease_until = NULL
                WHERE state = 1
                """,
                [now.stored]
            )
            _ = try await writer.query("COMMIT")
        } catch {
            _ = try? await writer.query("ROLLBACK")
            throw SQLiteStorageFailure.map(error, path: path, operation: "ending the leases of the last run")
        }
    }
}
