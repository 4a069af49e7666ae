import Foundation
import Herald
import NIOCore
import PostgresNIO
import Synchronization

/// Consumer groups: a cursor per group into the log; a row per batch an unordered group leased from the log
/// (`group_leases`, ``PostgresBatchLeases``), holding the sequences not yet settled; and a row per event in
/// another state (`group_pending`). A poll acknowledges what it was given to (a durable commit), then takes
/// at most a batch of events from beyond the cursor (``PostgresTake``: one statement that locks the group's
/// row while it runs), then leases rows no other consumer is leasing (`SKIP LOCKED`); the last two commit
/// without waiting for the disk. So the consumers of a group, on every node, lease side by side. The two
/// statements of a steady poll are routines of the schema (``PostgresRoutine``), planned once per connection.
///
/// `group_pending.state`: 0 waiting (deliverable from `available_at`), 1 leased (a redelivery, or any
/// delivery of an ordered group; until `lease_until`, as `delivery_id`), 2 dead letter.
extension PostgresEventStore {
    /// Creates a group; see ``ConsumerGroupStore/createGroup(_:)``.
    ///
    /// A group starting at ``ConsumerGroupConfiguration/StartPosition/time(_:)`` starts after the event
    /// before the first one stored at or after that time, as found when the group is created.
    public func createGroup(_ configuration: ConsumerGroupConfiguration) async throws -> Bool {
        try configuration.validate()
        return try await operation("createGroup") {
            let url = url
            return try await withTransaction("createGroup") { connection in
                let cursor = try await self.cursor(at: configuration.start, on: connection)
                let inserted = try await connection.query(
                    PostgresGroupRecord.insert(configuration, cursor: cursor, into: self.tables.groups),
                    logger: self.logger
                )
                for try await _ in inserted {}
                let record = try await self.lockGroup(configuration.name, on: connection, url: url)
                // This node's first poll of the group can then take in one statement.
                if record.configuration == configuration {
                    self.knownGroups.withLock { $0[configuration.name] = record }
                }
                if record.cursor == cursor, record.configuration == configuration {
                    // Ours if no other node made the same group in between; either way the settings agree.
                    return try await self.wasCreated(record, on: connection)
                }
                guard record.configuration == configuration else { throw configuration.conflictError(record) }
                return false
            }
        }
    }

    /// The sequence a group at `position` reads after, over the log as visible now: for a time, the one
    /// before the first event stored at or after it.
    private func cursor(at position: ConsumerGroupConfiguration.StartPosition, on connection: PostgresConnection)
        async throws -> Int64
    {
        let head = "SELECT coalesce(\(PostgresLogHead.last(tables)), 0)"
        switch position {
        case .earliest:
            return 0
        case .after(let sequence):
            return max(0, sequence)
        case .latest:
            return try await single(PostgresQuery(unsafeSQL: head), Int64.self, on: connection) ?? 0
        case .time(let date):
            // After the event before the first one stored at or after the time (sequences are not
            // consecutive), or from the start.
            let first = try await single(
                """
                SELECT coalesce((SELECT max(e.sequence) FROM \(unescaped: tables.events) AS e WHERE e.sequence < f.first), 0)
                FROM (
                    SELECT min(sequence) AS first FROM \(unescaped: tables.events)
                    WHERE stored_at >= \(date.timeIntervalSinceReferenceDate)
                        AND sequence <= \(unescaped: PostgresLogHead.settled(tables))
                ) AS f
                WHERE f.first IS NOT NULL
                """,
                Int64?.self,
                on: connection
            )
            if let first = first ?? nil { return first }
            return try await single(PostgresQuery(unsafeSQL: head), Int64.self, on: connection) ?? 0
        }
    }

    /// Moves the group and ends its deliveries; see ``ConsumerGroupStore/seek(group:to:)``.
    ///
    /// A time finds the event before the first one stored at or after it, as when a group is created.
    public func seek(group: String, to position: ConsumerGroupConfiguration.StartPosition) async throws -> Int64 {
        try await operation("seek") {
            let url = url
            let t = tables
            let cursor = try await withTransaction("seek") { connection in
                let record = try await self.lockGroup(group, on: connection, url: url)
                let cursor = try await self.cursor(at: position, on: connection)
                try await connection.query(
                    "DELETE FROM \(unescaped: t.pending) WHERE group_id = \(record.id) AND state IN (0, 1)",
                    logger: self.logger)
                try await connection.query(
                    "DELETE FROM \(unescaped: t.leases) WHERE group_id = \(record.id)", logger: self.logger)
                try await connection.query(
                    "UPDATE \(unescaped: t.groups) SET cursor = \(cursor) WHERE group_id = \(record.id)",
                    logger: self.logger)
                try await connection.query("SELECT pg_notify(\(t.channel), '')", logger: self.logger)
                return cursor
            }
            changes.signal()
            return cursor
        }
    }

    /// Whether the group was created by this transaction (PostgreSQL's `xmin` of the row is ours).
    private func wasCreated(_ record: PostgresGroupRecord, on connection: PostgresConnection) async throws -> Bool {
        try await single(
            """
            SELECT xmin::text = pg_current_xact_id()::xid::text FROM \(unescaped: tables.groups)
            WHERE group_id = \(record.id)
            """,
            Bool.self,
            on: connection
        ) ?? false
    }

    /// Deletes a group, its pending deliveries and dead letters; returns whether it existed.
    public func deleteGroup(named name: String) async throws -> Bool {
        try await operation("deleteGroup") {
            try await withConnection("deleteGroup") { connection in
                try await self.single(
                    "DELETE FROM \(unescaped: self.tables.groups) WHERE name = \(name) RETURNING group_id",
                    Int64.self,
                    on: connection
                ) != nil
            }
        }
    }

    /// A group's settings and counts, or `nil` when there is none by that name.
    public func groupInfo(named name: String) async throws -> ConsumerGroupInfo? {
        try await operation("groupInfo") {
            try await promoteDueEvents()
            return try await groupInfos(named: name).first
        }
    }

    /// Every group, sorted by name.
    public func groups() async throws -> [ConsumerGroupInfo] {
        try await operation("groups") {
            try await promoteDueEvents()
            return try await groupInfos(named: nil)
        }
    }

    /// Counts from one snapshot (a repeatable-read transaction). A lease that ran out counts as waiting for
    /// redelivery, or as a dead letter after the last attempt, as the next poll will make it.
    private func groupInfos(named name: String?) async throws -> [ConsumerGroupInfo] {
        let now = clock.now.timeIntervalSinceReferenceDate
        let url = url
        return try await withTransaction("groups") { connection in
            try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: self.logger)
            let t = self.tables
            let rows = try await connection.query(
                """
                SELECT \(unescaped: PostgresGroupRecord.columns),
                    (SELECT count(*) FROM \(unescaped: t.pending) AS p WHERE p.group_id = g.group_id
                        AND (p.state = 0 OR (p.state = 1 AND (p.lease_until > \(now) OR p.attempt < g.max_attempts))))
                        + b.waiting,
                    (SELECT count(*) FROM \(unescaped: t.pending) AS p WHERE p.group_id = g.group_id AND p.state = 1
                        AND p.lease_until > \(now)) + b.in_flight,
                    (SELECT count(*) FROM \(unescaped: t.pending) AS p WHERE p.group_id = g.group_id
                        AND (p.state = 2 OR (p.state = 1 AND p.lease_until <= \(now) AND p.attempt >= g.max_attempts)))
                        + b.dead
                FROM \(unescaped: t.groups) AS g CROSS JOIN LATERAL (
                    SELECT coalesce(sum(cardinality(l.sequences)) FILTER (WHERE l.lease_until > \(now)), 0)::bigint
                            AS in_flight,
                        coalesce(sum(cardinality(l.sequences)) FILTER (
                            WHERE l.lease_until > \(now) OR g.max_attempts > 1), 0)::bigint AS waiting,
                        coalesce(sum(cardinality(l.sequences)) FILTER (
                            WHERE l.lease_until <= \(now) AND g.max_attempts <= 1), 0)::bigint AS dead
                    FROM \(unescaped: t.leases) AS l WHERE l.group_id = g.group_id
                ) AS b
                WHERE \(name)::text IS NULL OR g.name = \(name) ORDER BY g.name
                """,
                logger: self.logger
            )
            var found: [(PostgresGroupRecord, waiting: Int64, inFlight: Int64, dead: Int64)] = []
            for try await row in rows {
                let record = try PostgresGroupRecord(row: row, url: url)
                let cells = row.makeRandomAccess()
                let counts = try (11...13).map { try cells[$0].decode(Int64.self) }
                found.append((record, counts[0], counts[1], counts[2]))
            }
            var infos: [ConsumerGroupInfo] = []
            for (record, waiting, inFlight, dead) in found {
                var bindings = PostgresBindings()
                bindings.append(record.cursor)
                var sql = "SELECT count(*) FROM \(t.events) WHERE sequence > $1"
                if let condition = PostgresTopicCondition.sql(
                    record.configuration.topic,
                    column: "type",
                    bindings: &bindings
                ) {
                    sql += " AND " + condition
                }
                let untaken =
                    try await self.single(PostgresQuery(unsafeSQL: sql, binds: bindings), Int64.self, on: connection)
                    ?? 0
                infos.append(
                    ConsumerGroupInfo(
                        configuration: record.configuration,
                        lag: Int(waiting + untaken),
                        inFlight: Int(inFlight),
                        deadLetters: Int(dead)
                    )
                )
            }
            return infos
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
    /// The acknowledgements commit durably, then the take from the log and the leases commit asynchronously
    /// (`synchronous_commit = off`): they are soft state that a database crash may undo only to the extent of
    /// redelivering events, which consumer groups allow; the next durable commit flushes them too, since
    /// PostgreSQL writes its log in order. Each round takes at most `max` new events from the log, so its
    /// work does not grow with the backlog (a round that finds none of the group's topic in the stretch of
    /// the log it looked at gives the next round a stretch ten times longer: ``PostgresTake/firstScan(for:)``);
    /// the take holds the group's row for its short transaction, never across a sync to the disk, and leasing
    /// redeliveries skips rows another consumer is leasing.
    /// While waiting it is woken by this node's commits, by notifications from other nodes, on the store's
    /// clock when a redelivery or a lease comes due, and every ``Configuration/fallbackPollInterval``.
    ///
    /// - Throws: ``EventLogError/Code/groupNotFound``, or ``EventLogError/Code/invalidArgument`` when
    ///   `max` is not within 1...1,000.
    public func poll(group: String, max: Int, wait: Duration, acknowledging: [String]) async throws -> PollResult {
        try StoreLimits.checkPoll(max: max)
        return try await operation("poll") {
            let deadline = clock.now.addingTimeInterval(wait.clampedToAYear.timeInterval)
            let url = url
            var toAcknowledge = Array(Set(acknowledging.filter(PostgresText.isStorable)))
            var acknowledged: Set<String> = []
            var scan = PostgresTake.firstScan(for: max)
            while true {
                let generation = changes.generation
                try Task.checkCancellation()
                try checkOpen()
                try await promoteDueEvents()
                let now = clock.now
                let (ids, looking) = (toAcknowledge, scan)
                // No lock is held from the take to the lease: the acknowledgements commit durably, the take
                // and the lease asynchronously, each on its own.
                let round = try await withConnection("poll") { connection in
                    let settled =
                        ids.isEmpty
                        ? (ids: Set<String>(), ordered: false)
                        : try await self.acknowledge(ids, group: group, now: now, on: connection)
                    let (deliveries, nextDue, expired, more) = try await self.takeAndLease(
                        group, max: max, scan: looking, now: now, on: connection, url: url)
                    return (settled, deliveries, nextDue, expired, more)
                }
                let (settled, deliveries, nextDue, expired, more) = round
                acknowledged.formUnion(settled.ids)
                toAcknowledge = []
                if expired || settled.ordered { changes.signal() }
                if !deliveries.isEmpty || clock.now >= deadline {
                    return PollResult(acknowledged: acknowledged, deliveries: deliveries)
                }
                // Events beyond what this round took may be deliverable (an ordered group's other keys).
                if more {
                    scan = Swift.min(scan * 10, PostgresTake.largestScan)
                    continue
                }
                let scheduled = scheduledDue
                let fallback = clock.now.adding(configuration.fallbackPollInterval)
                let wake = [deadline, nextDue, scheduled, fallback].compactMap { $0 }.min() ?? deadline
                try await changes.wait(after: generation, until: wake, clock: clock)
            }
        }
    }

    /// Takes new events from the log and leases deliveries, in short transactions committed without waiting
    /// for the disk; the deliveries are answered only once the COMMIT of their leases has completed, never
    /// for a lease that a dying node leaves uncommitted.
    ///
    /// Each take holds the group's row while it takes from the log, so takes of one group follow one another
    /// and add rows in sequence order (ordered groups rely on it); no lock is held across a sync to the disk.
    /// An unordered group that this node polled before takes and leases in one statement that locks the row
    /// itself (no round trip while it is held), then leases rows that came due; otherwise one transaction
    /// reads and locks the row, leases the rows that came due first (redeliveries), then new events from the
    /// log, leased as one batch row. An ordered group takes new events as waiting rows, commits, then leases
    /// the oldest unfinished one of each key in a transaction of its own.
    private func takeAndLease(
        _ group: String,
        max: Int,
        scan: Int,
        now: Date,
        on connection: PostgresConnection,
        url: PostgresURL
    ) async throws -> (deliveries: [Delivery], nextDue: Date?, expired: Bool, more: Bool) {
        var deliveries: [Delivery] = []
        var (expired, more) = (false, false)
        // An unordered group this node has polled before: one statement that locks the group's row, takes and
        // leases, and commits on its own, so that the row is held for no round trip.
        if let known = knownGroups.withLock({ $0[group] }), !known.configuration.ordered,
            let taken = try await take(
                known, limit: max, scan: scan, now: now, leasing: true, locking: true, on: connection)
        {
            deliveries = taken.deliveries
            more = taken.more
            // Leases that ran out end in a statement of their own (a rare one), which may make events
            // deliverable again.
            if taken.ranOut { expired = try await expireLeases(known, now: now, on: connection) }
            // Rows that came due (redeliveries), or leases that ran out.
            if (taken.hasDue || expired), deliveries.count < max {
                deliveries += try await inTransaction(on: connection) {
                    try await self.lease(known, max: max - deliveries.count, now: now, on: connection)
                }
            }
            guard deliveries.isEmpty else {
                return (deliveries.sorted { $0.sequence < $1.sequence }, nil, expired, more)
            }
            return ([], try await nextDue(known, now: now, on: connection), expired, more)
        }
        let record = try await inTransaction(on: connection) {
            // The lock's statement also makes the commit soft and says whether rows came due.
            let (record, hasDue) = try await self.lockGroupForPoll(group, now: now, on: connection, url: url)
            if record.configuration.ordered {
                let taken = try await self.take(
                    record, limit: max, scan: scan, now: now, leasing: false, on: connection)
                more = taken?.more ?? false
                if taken?.ranOut == true { expired = try await self.expireLeases(record, now: now, on: connection) }
                return record
            }
            if hasDue { deliveries = try await self.lease(record, max: max, now: now, on: connection) }
            if deliveries.count < max {
                let taken = try await self.take(
                    record, limit: max - deliveries.count, scan: scan, now: now, leasing: true, on: connection)
                deliveries += taken?.deliveries ?? []
                more = taken?.more ?? false
                if taken?.ranOut == true { expired = try await self.expireLeases(record, now: now, on: connection) }
            }
            // Leases that ran out are due now.
            if expired, deliveries.count < max {
                deliveries += try await self.lease(record, max: max - deliveries.count, now: now, on: connection)
            }
            return record
        }
        knownGroups.withLock { $0[group] = record }
        if record.configuration.ordered {
            deliveries = try await inTransaction(on: connection) {
                try await self.lease(record, max: max, now: now, on: connection)
            }
        }
        guard deliveries.isEmpty else { return (deliveries.sorted { $0.sequence < $1.sequence }, nil, expired, more) }
        return ([], try await nextDue(record, now: now, on: connection), expired, more)
    }

    /// Runs `body` between `BEGIN` and `COMMIT` on `connection`, rolling back when it throws.
    private func inTransaction<T>(on connection: PostgresConnection, _ body: () async throws -> T) async throws -> T {
        try await connection.query("BEGIN", logger: logger)
        do {
            let value = try await body()
            try await connection.query("COMMIT", logger: logger)
            return value
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }

    /// Locks the group's row until the transaction ends, makes the transaction's commit soft
    /// (`synchronous_commit = off`, for a poll's takes and leases), and says whether rows waiting for a
    /// redelivery have come due; one round trip.
    private func lockGroupForPoll(_ name: String, now: Date, on connection: PostgresConnection, url: PostgresURL)
        async throws -> (record: PostgresGroupRecord, hasDue: Bool)
    {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: PostgresGroupRecord.columns), EXISTS (
                    SELECT 1 FROM \(unescaped: tables.pending) AS p
                    WHERE p.group_id = g.group_id AND p.state = 0 AND p.available_at <= \(now.timeIntervalSinceReferenceDate)
                ), set_config('synchronous_commit', 'off', true)
            FROM \(unescaped: tables.groups) AS g
            WHERE name = \(name) FOR UPDATE OF g
            """,
            logger: logger
        )
        var found: (PostgresGroupRecord, Bool)?
        for try await row in rows {
            let hasDue = try row.makeRandomAccess()[11].decode(Bool.self)
            found = (try PostgresGroupRecord(row: row, url: url), hasDue)
        }
        guard let found else {
            throw EventLogError(.groupNotFound, "no consumer group named '\(name)'; create it first")
        }
        return found
    }

    /// Locks the group's row until the transaction ends and returns it.
    ///
    /// With `committingAsynchronously`, the transaction's commit does not wait for the disk
    /// (`synchronous_commit = off`, set in the same statement), as a poll's take from the log.
    func lockGroup(
        _ name: String,
        on connection: PostgresConnection,
        url: PostgresURL,
        committingAsynchronously: Bool = false
    ) async throws -> PostgresGroupRecord {
        let setting = committingAsynchronously ? ", set_config('synchronous_commit', 'off', true)" : ""
        let rows = try await connection.query(
            """
            SELECT \(unescaped: PostgresGroupRecord.columns)\(unescaped: setting) FROM \(unescaped: tables.groups)
            WHERE name = \(name) FOR UPDATE
            """,
            logger: logger
        )
        var record: PostgresGroupRecord?
        for try await row in rows { record = try PostgresGroupRecord(row: row, url: url) }
        guard let record else {
            throw EventLogError(.groupNotFound, "no consumer group named '\(name)'; create it first")
        }
        return record
    }

    /// Takes up to `limit` of the group's events appended since its cursor and moves the cursor past them
    /// (past the stretch of the log looked at when fewer are there, which is the head when the log ends
    /// first), as of one snapshot: the events visible then are exactly those up to the head. So a poll's work
    /// depends on its batch, not on the backlog. With `leasing` (an unordered group), the taken events are
    /// leased as one batch (attempt 1), a row of `group_leases` written once before its ack, and come back in
    /// the same round trip; without it (an ordered group), they get rows that wait for
    /// ``lease(_:max:now:on:)``. A dead letter met again after a seek keeps its row. See ``PostgresTake``.
    /// Returns the deliveries, whether a lease ran out (for ``expireLeases(_:now:on:)``), whether the cursor
    /// is still below the head, and whether rows waiting for a redelivery are due; `nil` when a locking take
    /// found no group by the record's id and name.
    ///
    /// Without `locking`, runs in the poll's transaction, which holds the group's row, so takes of one group
    /// follow one another and rows are added in sequence order, which ordered groups rely on; the cursor is
    /// the locked row's. With it, the statement locks the row itself.
    private func take(
        _ group: PostgresGroupRecord,
        limit: Int,
        scan: Int,
        now: Date,
        leasing: Bool,
        locking: Bool = false,
        on connection: PostgresConnection
    ) async throws -> (deliveries: [Delivery], ranOut: Bool, more: Bool, hasDue: Bool)? {
        let take = PostgresTake(group: group, limit: limit, scan: scan, now: now)
        let url = url
        var result: (deliveries: [Delivery], ranOut: Bool, more: Bool, hasDue: Bool)?
        // A steady consumer's take (an unordered group, locking its row) is the schema's routine.
        let sql =
            leasing && locking
            ? takeRoutine.call : PostgresTake.text(tables, leasing: leasing, locking: locking)
        let query = PostgresQuery(unsafeSQL: sql, binds: take.makeBindings())
        for try await (ranOut, more, hasDue, sequences, records) in try await connection.query(
            query, logger: logger
        ).decode(PostgresTake.Row.self) {
            var deliveries: [Delivery] = []
            deliveries.reserveCapacity(sequences.count)
            for (sequence, record) in zip(sequences, records) {
                let stored = try Self.decode(sequence: sequence, record: record, url: url)
                deliveries.append(Delivery(id: take.lease + String(sequence), attempt: 1, stored: stored))
            }
            result = (deliveries, ranOut, more, hasDue)
        }
        return result
    }

    /// The `last_error` of a delivery whose lease ran out.
    static func leaseExpiredError(_ group: PostgresGroupRecord) -> String {
        "lease expired after \(group.configuration.ackTimeout) without an ack"
    }

    /// Ends the group's leases that ran out, of rows and of batches: each counts as a failed attempt, and after
    /// the last one the event becomes a dead letter. Returns whether one became deliverable again.
    private func expireLeases(_ group: PostgresGroupRecord, now: Date, on connection: PostgresConnection)
        async throws -> Bool
    {
        var bindings = PostgresBindings()
        bindings.append(group.id)
        bindings.append(now.timeIntervalSinceReferenceDate)
        bindings.append(Int32(clamping: group.configuration.maxAttempts))
        bindings.append(Self.leaseExpiredError(group))
        let t = tables
        let sql = """
            WITH expired AS (
                UPDATE \(t.pending)
                SET state = CASE WHEN attempt >= $3 THEN 2 ELSE 0 END, available_at = lease_until, last_error = $4,
                    lease_until = NULL, delivery_id = NULL
                WHERE group_id = $1 AND state = 1 AND lease_until <= $2
                RETURNING state
            ),
            \(PostgresBatchLeases.expiry(t, group: "$1", now: "$2", maxAttempts: "$3", error: "$4"))
            SELECT state FROM expired UNION ALL SELECT state FROM requeued
            """
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
        var redeliverable = false
        for try await state in rows.decode(Int16.self) where state == 0 { redeliverable = true }
        return redeliverable
    }

    /// Leases up to `max` of the group's rows that came due, oldest first: redeliveries, and in an ordered
    /// group the oldest unfinished event of each key.
    private func lease(_ group: PostgresGroupRecord, max: Int, now: Date, on connection: PostgresConnection)
        async throws -> [Delivery]
    {
        let t = tables
        let nowSeconds = now.timeIntervalSinceReferenceDate
        // The deliverable rows, oldest first; in an ordered group only the oldest unfinished one of each key.
        let deliverable =
            group.configuration.ordered
            ? """
            SELECT p.sequence FROM \(t.pending) AS p
            WHERE p.group_id = $1 AND p.state = 0 AND p.available_at <= $2
                AND (p.partition_key IS NULL OR NOT EXISTS (
                    SELECT 1 FROM \(t.pending) AS q
                    WHERE q.group_id = $1 AND q.partition_key = p.partition_key AND q.state IN (0, 1)
                        AND q.sequence < p.sequence))
            ORDER BY p.sequence LIMIT $3 FOR UPDATE SKIP LOCKED
            """
            : """
            SELECT sequence FROM \(t.pending)
            WHERE group_id = $1 AND state = 0 AND available_at <= $2 ORDER BY sequence LIMIT $3
            FOR UPDATE SKIP LOCKED
            """
        var bindings = PostgresBindings()
        bindings.append(group.id)
        bindings.append(nowSeconds)
        bindings.append(Int64(max))
        bindings.append(now.adding(group.configuration.ackTimeout).timeIntervalSinceReferenceDate)
        bindings.append(UUID().uuidString.lowercased() + "-")
        // One statement, committed on its own without waiting for the disk; rows another consumer is
        // leasing at the same time are skipped, not waited for. In an ordered group an earlier event of a
        // key is pending (waiting or leased) whether or not it is locked, so it still holds its key back.
        let sql = """
            WITH soft AS (SELECT set_config('synchronous_commit', 'off', true))
            UPDATE \(t.pending) AS p SET state = 1, attempt = p.attempt + 1, lease_until = $4,
                delivery_id = $5 || p.sequence::text
            FROM \(t.events) AS e, soft
            WHERE p.group_id = $1 AND e.sequence = p.sequence AND p.sequence IN (\(deliverable))
            RETURNING p.sequence, p.attempt, p.delivery_id, e.event
            """
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
        var deliveries: [Delivery] = []
        for try await (sequence, attempt, id, record) in rows.decode((Int64, Int32, String, ByteBuffer).self) {
            let stored = try Self.decode(sequence: sequence, record: record, url: url)
            deliveries.append(Delivery(id: id, attempt: Int(attempt), stored: stored))
        }
        return deliveries
    }

    /// The next time on the store's clock at which one of the group's deliveries may become deliverable: a
    /// redelivery delay or a lease ending.
    private func nextDue(_ group: PostgresGroupRecord, now: Date, on connection: PostgresConnection) async throws
        -> Date?
    {
        let t = tables
        let nowSeconds = now.timeIntervalSinceReferenceDate
        let next = try await single(
            """
            SELECT least(
                (SELECT min(CASE state WHEN 0 THEN available_at ELSE lease_until END) FROM \(unescaped: t.pending)
                    WHERE group_id = \(group.id) AND ((state = 0 AND available_at > \(nowSeconds)) OR state = 1)),
                (SELECT min(lease_until) FROM \(unescaped: t.leases) WHERE group_id = \(group.id)))
            """,
            Double?.self,
            on: connection
        )
        return (next ?? nil).map(Date.init(timeIntervalSinceReferenceDate:))
    }

    /// Acknowledges deliveries; see ``ConsumerGroupStore/ack(group:deliveryIDs:)``.
    public func ack(group: String, deliveryIDs: [String]) async throws -> Int {
        try await ackReturningIDs(group: group, deliveryIDs: deliveryIDs).count
    }

    /// Acknowledges deliveries and returns the ids that were current, in one statement; see
    /// ``ConsumerGroupStore/ackReturningIDs(group:deliveryIDs:)``.
    public func ackReturningIDs(group: String, deliveryIDs: [String]) async throws -> Set<String> {
        try await operation("ack") {
            let ids = Array(Set(deliveryIDs.filter(PostgresText.isStorable)))
            let now = clock.now
            let (acknowledged, ordered) = try await withConnection("ack") { connection in
                try await self.acknowledge(ids, group: group, now: now, on: connection)
            }
            if ordered { changes.signal() }
            return acknowledged
        }
    }

    /// Appends events and acknowledges the delivery that caused them in one transaction; see
    /// ``AcknowledgingEventLog/append(_:acknowledging:of:)``.
    public func append(_ events: [Event], acknowledging deliveryID: String, of group: String) async throws
        -> [AppendResult]?
    {
        try AppendBatch.validate(events, expecting: nil)
        try PostgresText.checkStorable(events)
        let ids = [deliveryID].filter(PostgresText.isStorable)
        return try await operation("append") {
            let now = clock.now
            // Another transaction storing one of the same keys at once makes this one fail on the unique
            // index when it commits; the step then runs again and finds the key stored.
            let outcome: (results: [AppendResult]?, ordered: Bool) =
                try await PostgresStorageFailure
                .retryingUniqueViolations {
                    try await self.appendAcknowledging(events, ids: ids, group: group, now: now)
                }
            if outcome.ordered { changes.signal() }
            return outcome.results
        }
    }

    /// One transaction of ``append(_:acknowledging:of:)``: the acknowledgement, then the append when it was
    /// current; returns the results and whether the group is ordered.
    private func appendAcknowledging(_ events: [Event], ids: [String], group: String, now: Date) async throws
        -> (results: [AppendResult]?, ordered: Bool)
    {
        let (outcome, _) = try await withLogTransaction("append") {
            connection -> ((results: [AppendResult]?, ordered: Bool), PostgresLogWrite?) in
            let (acknowledged, ordered) = try await self.acknowledge(ids, group: group, now: now, on: connection)
            guard !acknowledged.isEmpty else { return ((nil, ordered), nil) }
            let writer = PostgresAppendWriter(tables: self.tables, logger: self.logger, now: now)
            let (results, written) = try await writer.append(
                [AppendBatch(events: events, expectation: nil)], on: connection)
            return ((try results[0].get(), ordered), written)
        }
        return outcome
    }

    /// Deletes the group's current deliveries among `ids`; returns their ids, and whether the group is
    /// ordered (an acknowledgement then unblocks the next event of a key: other nodes' pollers are notified,
    /// and the caller should wake this node's). Throws ``EventLogError/Code/groupNotFound`` when none was
    /// current and the group does not exist.
    private func acknowledge(_ ids: [String], group: String, now: Date, on connection: PostgresConnection)
        async throws -> (ids: Set<String>, ordered: Bool)
    {
        let acknowledge = PostgresAcknowledge(group: group, ids: ids, now: now, channel: tables.channel)
        let rows = try await connection.query(
            PostgresQuery(unsafeSQL: acknowledgeRoutine.call, binds: acknowledge.makeBindings()), logger: logger
        ).decode(PostgresAcknowledge.Row.self)
        var acknowledged: Set<String> = []
        var ordered = false
        for try await (ids, isOrdered, _) in rows {
            acknowledged.formUnion(ids)
            ordered = isOrdered ?? false
        }
        if acknowledged.isEmpty { try await requireGroup(group, on: connection) }
        return (acknowledged, ordered)
    }

    /// Negatively acknowledges deliveries; see ``ConsumerGroupStore/nack(group:deliveryIDs:delay:error:)``.
    ///
    /// - Throws: ``EventLogError/Code/invalidArgument`` for a negative `delay`.
    public func nack(group: String, deliveryIDs: [String], delay: Duration, error: String?) async throws -> Int {
        try await nackReturningIDs(group: group, deliveryIDs: deliveryIDs, delay: delay, error: error).count
    }

    /// Negatively acknowledges deliveries and returns the ids that were current, in one statement; see
    /// ``ConsumerGroupStore/nackReturningIDs(group:deliveryIDs:delay:error:)``.
    ///
    /// - Throws: ``EventLogError/Code/invalidArgument`` for a negative `delay`.
    public func nackReturningIDs(group: String, deliveryIDs: [String], delay: Duration, error: String?)
        async throws -> Set<String>
    {
        try StoreLimits.checkNack(delay: delay)
        let error = error.map(PostgresText.storable)
        return try await operation("nack") {
            let ids = Array(Set(deliveryIDs.filter(PostgresText.isStorable)))
            let now = clock.now
            let availableAt = now.adding(delay.clampedToAYear).timeIntervalSinceReferenceDate
            let t = tables
            // The parameters of an ack, then the nack's own.
            var bindings = PostgresAcknowledge(group: group, ids: ids, now: now, channel: t.channel).makeBindings()
            bindings.append(availableAt)
            bindings.append(error)
            // A delivery of a batch leaves the batch for a row of its own, as a row's delivery becomes.
            let sql = """
                WITH g AS (SELECT group_id, max_attempts FROM \(t.groups) WHERE name = $1),
                current AS (
                    SELECT p.group_id, p.sequence, p.delivery_id FROM \(t.pending) AS p, g
                    WHERE p.group_id = g.group_id AND p.state = 1 AND p.lease_until > $4
                        AND p.sequence = ANY($2) AND p.delivery_id = ANY($3)
                    FOR UPDATE OF p
                ),
                failed AS (
                    UPDATE \(t.pending) AS p
                    SET state = CASE WHEN p.attempt >= g.max_attempts THEN 2 ELSE 0 END, available_at = $7,
                        last_error = $8, lease_until = NULL, delivery_id = NULL
                    FROM current, g WHERE p.group_id = current.group_id AND p.sequence = current.sequence
                    RETURNING current.delivery_id
                ),
                \(PostgresBatchLeases.settling(
                    t, group: "(SELECT group_id FROM g)", leases: "$5", sequences: "$2", now: "$4")),
                left_batch AS (
                    INSERT INTO \(t.pending)
                        (group_id, sequence, state, attempt, available_at, last_error, partition_key)
                    SELECT g.group_id, e.sequence, CASE WHEN 1 >= g.max_attempts THEN 2 ELSE 0 END, 1, $7, $8,
                        e.partition_key
                    FROM settled JOIN \(t.events) AS e ON e.sequence = settled.sequence, g
                    ON CONFLICT DO NOTHING
                )
                SELECT delivery_id, pg_notify($6, '')::text FROM failed
                UNION ALL SELECT lease || sequence::text, pg_notify($6, '')::text FROM settled
                """
            let query = PostgresQuery(unsafeSQL: sql, binds: bindings)
            let failed = try await withConnection("nack") { connection in
                let rows = try await connection.query(query, logger: self.logger)
                var failed: Set<String> = []
                for try await (id, _) in rows.decode((String, String?).self) { failed.insert(id) }
                if failed.isEmpty { try await self.requireGroup(group, on: connection) }
                return failed
            }
            if !failed.isEmpty { changes.signal() }
            return failed
        }
    }

    /// The group's dead letters, oldest sequence first, at most `limit`.
    public func deadLetters(group: String, limit: Int) async throws -> [DeadLetteredEvent] {
        try StoreLimits.checkRead(limit: limit, of: "dead letter")
        return try await operation("deadLetters") {
            let now = clock.now
            let url = url
            let t = tables
            return try await withTransaction("deadLetters") { connection in
                let record = try await self.lockGroup(group, on: connection, url: url)
                _ = try await self.expireLeases(record, now: now, on: connection)
                let rows = try await connection.query(
                    """
                    SELECT p.sequence, p.attempt, p.last_error, e.event
                    FROM \(unescaped: t.pending) AS p JOIN \(unescaped: t.events) AS e ON e.sequence = p.sequence
                    WHERE p.group_id = \(record.id) AND p.state = 2 ORDER BY p.sequence LIMIT \(Int64(limit))
                    """,
                    logger: self.logger
                )
                var letters: [DeadLetteredEvent] = []
                for try await (sequence, attempt, error, event) in rows.decode(
                    (Int64, Int32, String?, ByteBuffer).self
                ) {
                    letters.append(
                        DeadLetteredEvent(
                            stored: try Self.decode(sequence: sequence, record: event, url: url),
                            attempts: Int(attempt),
                            lastError: error
                        )
                    )
                }
                return letters
            }
        }
    }

    /// Makes dead letters deliverable again with fresh attempts; see
    /// ``ConsumerGroupStore/requeueDeadLetters(group:sequences:)``.
    public func requeueDeadLetters(group: String, sequences: [Int64]?) async throws -> Int {
        try await operation("requeueDeadLetters") {
            let now = clock.now
            let url = url
            let t = tables
            let count = try await withTransaction("requeueDeadLetters") { connection in
                let record = try await self.lockGroup(group, on: connection, url: url)
                _ = try await self.expireLeases(record, now: now, on: connection)
                let rows = try await connection.query(
                    """
                    UPDATE \(unescaped: t.pending)
                    SET state = 0, attempt = 0, available_at = \(now.timeIntervalSinceReferenceDate), last_error = NULL
                    WHERE group_id = \(record.id) AND state = 2
                        AND (\(sequences == nil) OR sequence = ANY(\(sequences ?? [])))
                    RETURNING pg_notify(\(t.channel), '')::text
                    """,
                    logger: self.logger
                )
                var count = 0
                for try await _ in rows { count += 1 }
                return count
            }
            if count > 0 { changes.signal() }
            return count
        }
    }

    /// How many rows the store keeps for the group's events (batches in flight, and events in flight, waiting
    /// for a redelivery or dead): what the conformance suite counts to see that a poll's work does not grow with the backlog.
    package func groupRowCount(_ group: String) async throws -> Int {
        try await operation("groupRowCount") {
            let t = tables
            let count = try await withConnection("groupRowCount") { connection in
                try await self.single(
                    """
                    SELECT (SELECT count(*) FROM \(unescaped: t.pending) AS p WHERE p.group_id = g.group_id)
                        + (SELECT count(*) FROM \(unescaped: t.leases) AS l WHERE l.group_id = g.group_id)
                    FROM \(unescaped: t.groups) AS g WHERE g.name = \(group)
                    """,
                    Int64.self,
                    on: connection
                )
            }
            return Int(count ?? 0)
        }
    }

    /// Throws ``EventLogError/Code/groupNotFound`` when no group has the name.
    private func requireGroup(_ name: String, on connection: PostgresConnection) async throws {
        let id = try await single(
            "SELECT group_id FROM \(unescaped: tables.groups) WHERE name = \(name)",
            Int64.self,
            on: connection
        )
        if id == nil { throw EventLogError(.groupNotFound, "no consumer group named '\(name)'; create it first") }
    }

    /// The first column of the first row of `query`, or `nil` when it returns no row.
    func single<Value: PostgresDecodable>(
        _ query: PostgresQuery,
        _ type: Value.Type,
        on connection: PostgresConnection
    ) async throws -> Value? {
        var value: Value?
        for try await row in try await connection.query(query, logger: logger) {
            if value == nil { value = try row.makeRandomAccess()[0].decode(Value.self) }
        }
        return value
    }
}

extension ConsumerGroupConfiguration {
    /// Why this configuration conflicts with the stored group `record`.
    fileprivate func conflictError(_ record: PostgresGroupRecord) -> EventLogError {
        record.configuration.conflict(with: self)
    }
}
