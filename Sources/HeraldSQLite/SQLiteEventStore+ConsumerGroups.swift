import Foundation
import Herald
import SQLiteNIO
import Synchronization

/// Consumer groups: a cursor per group into the log, and a row per event the group took from the log and
/// has not acknowledged. A poll acknowledges what it was given to, takes at most a batch of events from
/// beyond the cursor, ends expired leases, and leases, all in one write transaction.
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
                try await !context.query(
                    "DELETE FROM consumer_groups WHERE name = ? RETURNING group_id",
                    [.text(name)]
                ).isEmpty
            }
        }
    }

    /// A group's settings and counts, or `nil` when there is none by that name.
    public func groupInfo(named name: String) async throws -> ConsumerGroupInfo? {
        try await operation("groupInfo") {
            try await promoteDueEvents()
            return try await groupInfos(where: "WHERE g.name = ?2", [.text(name)]).first
        }
    }

    /// Every group, sorted by name.
    public func groups() async throws -> [ConsumerGroupInfo] {
        try await operation("groups") {
            try await promoteDueEvents()
            return try await groupInfos(where: "", [])
        }
    }

    /// Counts in one statement, so that they come from one snapshot. A lease that ran out counts as
    /// waiting for redelivery, or as a dead letter after the last attempt, as the next poll will make it.
    private func groupInfos(where condition: String, _ bindings: [SQLiteData]) async throws -> [ConsumerGroupInfo] {
        let rows = try await reader().query(
            """
            SELECT \(ConsumerGroupRecord.columns),
                (SELECT count(*) FROM group_pending AS p WHERE p.group_id = g.group_id
                    AND (p.state = 0 OR (p.state = 1 AND (p.lease_until > ?1 OR p.attempt < g.max_attempts))))
                    AS waiting,
                (SELECT count(*) FROM group_pending AS p WHERE p.group_id = g.group_id AND p.state = 1
                    AND p.lease_until > ?1) AS in_flight,
                (SELECT count(*) FROM group_pending AS p WHERE p.group_id = g.group_id
                    AND (p.state = 2 OR (p.state = 1 AND p.lease_until <= ?1 AND p.attempt >= g.max_attempts)))
                    AS dead,
                (SELECT count(*) FROM events AS e WHERE e.sequence > g.cursor
                    AND \(TopicCondition.functionName)(g.topic, e.type)) AS untaken
            FROM consumer_groups AS g \(condition) ORDER BY g.name
            """,
            [clock.now.stored] + bindings
        )
        return try rows.map { row in
            let record = try ConsumerGroupRecord(row: row, path: path)
            func count(_ column: String) -> Int { row.column(column)?.integer ?? 0 }
            return ConsumerGroupInfo(
                configuration: record.configuration,
                lag: count("waiting") + count("untaken"),
                inFlight: count("in_flight"),
                deadLetters: count("dead")
            )
        }
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
    /// acknowledgements commits without waiting for the disk (see ``withWriter(softCommits:_:)``). Each
    /// round takes at most `max` new events from the log, so its work does not grow with the backlog.
    /// While waiting it is woken by every commit of this store, and on the store's clock when a
    /// redelivery or a lease comes due. `wait` is measured on the continuous clock.
    ///
    /// - Throws: ``EventLogError/Code/groupNotFound``, or ``EventLogError/Code/invalidArgument`` when
    ///   `max` is not within 1...1,000.
    public func poll(group: String, max: Int, wait: Duration, acknowledging: [String]) async throws -> PollResult {
        guard (1...1_000).contains(max) else {
            throw EventLogError(.invalidArgument, "poll max must be between 1 and 1000, got \(max)")
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
                let round = try await withWriter(softCommits: toAcknowledge.isEmpty) { context in
                    try await pollRound(context, group: group, max: max, acknowledging: toAcknowledge)
                }
                acknowledged.formUnion(round.acknowledged)
                toAcknowledge = []
                if !round.deliveries.isEmpty || clock.now >= deadline {
                    return PollResult(acknowledged: acknowledged, deliveries: round.deliveries)
                }
                // Events beyond what this round took may be deliverable (an ordered group's other keys).
                if round.moreBeyondCursor { continue }
                let scheduled = state.withLock(\.earliestDue)
                let wake = [deadline, round.nextDue, scheduled].compactMap { $0 }.min() ?? deadline
                try await changes.wait(after: generation, until: wake, clock: clock)
            }
        }
    }

    /// One round of a poll on the write connection: acknowledges, brings the group up to date and leases.
    private func pollRound(
        _ context: WriteContext,
        group: String,
        max: Int,
        acknowledging ids: Set<String>
    ) async throws -> (acknowledged: Set<String>, deliveries: [Delivery], nextDue: Date?, moreBeyondCursor: Bool) {
        // Only this connection writes, and it is ours until the lease is made: the group read here stays
        // current in the transaction below.
        let record = try await context.existingGroup(named: group, path: path)
        // With nothing to settle or bring up to date, the lease is one statement, which commits on its own.
        guard !ids.isEmpty || context.needsPreparation(toLease: record) else {
            let (deliveries, nextDue) = try await context.lease(record, max: max, path: path)
            return ([], deliveries, nextDue, false)
        }
        return try await inTransaction(context) {
            let acknowledged = ids.isEmpty ? [] : try await context.ack(group: group, deliveryIDs: ids, path: path)
            let more =
                context.needsPreparation(toLease: record) ? try await context.prepareToLease(record, max: max) : false
            let (deliveries, nextDue) = try await context.lease(record, max: max, path: path)
            return (acknowledged, deliveries, nextDue, more)
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
    public func ackReturningIDs(group: String, deliveryIDs: [String]) async throws -> Set<String> {
        try await operation("ack") {
            let ids = Set(deliveryIDs)
            // One statement commits atomically on its own; a longer list takes several, in a transaction.
            return ids.count <= WriteContext.maximumListLength
                ? try await withWriter { context in try await context.ack(group: group, deliveryIDs: ids, path: path) }
                : try await writeTransaction { context in
                    try await context.ack(group: group, deliveryIDs: ids, path: path)
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
        guard delay >= .zero else {
            throw EventLogError(.invalidArgument, "nack delay must not be negative, got \(delay)")
        }
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
        guard (1...10_000).contains(limit) else {
            throw EventLogError(.invalidArgument, "dead letter limit must be between 1 and 10000, got \(limit)")
        }
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
}
