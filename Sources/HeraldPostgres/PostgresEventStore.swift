import Foundation
import Herald
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// The distributed event store: an ``EventLog`` and ``ConsumerGroupStore`` in a PostgreSQL database that
/// several Herald processes (nodes) share.
///
/// - **Order.** Appending transactions on every node run at once; their sequences come from their
///   transaction ids, and readers look only below the oldest transaction still running
///   (``PostgresLogHead``): once any node sees sequence `n`, every event below `n` is visible too, and
///   followers and consumer groups never skip one. Sequences increase but are not consecutive.
/// - **Wake-ups.** Every commit that adds events or deliverable work sends `NOTIFY` on the schema's
///   channel, once its events are readable; each node listens on one connection and wakes its waiters (``waitForEvents(after:timeout:)``,
///   followers, long polls). A slow fallback check (``Configuration/fallbackPollInterval``) covers
///   notifications lost while a node reconnects.
/// - **Consumer groups.** Leases are rows with an end time: a take from the log locks the group's row for
///   one statement, moves its cursor and leases what it took as one batch row, so events enter a group in
///   order and ordered groups keep it; redeliveries are leased a row each with `FOR UPDATE SKIP LOCKED`, so
///   an event is leased to one consumer at a time across the cluster while the others lease other rows. A
///   node that dies leaves its leases to expire, and the events go to other consumers.
/// - **Time.** Every time the store writes (leases, `deliverat`, retention ages) comes from its
///   ``WallClock``; nodes must keep their clocks in sync (NTP), as for any lease.
/// - **Outages.** An operation that waits a whole ``Configuration/connectTimeout`` in which the store gets
///   no connection at all, or that loses its connection, fails with ``EventLogError/Code/unavailable``; the
///   pool reconnects when PostgreSQL is back.
///
/// Open it with ``connect(url:configuration:clock:logger:)`` and call ``close()`` when done. Use
/// ``transaction(_:)`` to write your own tables and publish events in one PostgreSQL transaction.
public final class PostgresEventStore: AcknowledgingEventLog, Sendable {
    /// Where the store is, without the password.
    public let url: PostgresURL
    let configuration: Configuration
    /// The schema that holds the store's tables; your own tables may live there too (for the outbox).
    public var schemaName: String { configuration.schema }
    let tables: PostgresTables
    /// The statements of a steady poll, as routines of the schema (``PostgresRoutine``).
    let takeRoutine: PostgresRoutine
    let acknowledgeRoutine: PostgresRoutine
    let clock: any WallClock
    let logger: Logger
    let client: PostgresClient
    private let clientTask: Task<Void, Never>
    private let listenerTask: Mutex<Task<Void, Never>?> = Mutex(nil)
    /// The groups this node has polled, by name: their settings, which never change, and their id. A poll
    /// of a known unordered group takes in one statement, which checks the id and name, so a group deleted or
    /// created again elsewhere sends the poll back to reading the row.
    let knownGroups = Mutex<[String: PostgresGroupRecord]>([:])
    let appendQueue = GroupCommitQueue<AppendRequest>()
    let changes = ChangeSignal()
    /// Refuses operations once `close` has begun, and lets it wait for those under way.
    let gate: OperationGate
    private let state = Mutex(State())
    /// How many connections the pool has handed to this store's operations: while it grows, the database
    /// is reachable, however long an operation waits in the queue.
    private let connectionsHandedOut = Atomic<UInt64>(0)

    private struct State {
        /// When the earliest scheduled event comes due, as last read; `nil` when none was scheduled.
        var earliestDue: Date?
    }

    private init(
        url: PostgresURL,
        configuration: Configuration,
        clock: any WallClock,
        logger: Logger,
        client: PostgresClient,
        clientTask: Task<Void, Never>
    ) {
        self.url = url
        gate = OperationGate {
            EventLogError(.closed, "the PostgreSQL event store at \(url) is closed; connect again to use it")
        }
        self.configuration = configuration
        self.tables = PostgresTables(schema: configuration.schema)
        takeRoutine = .take(tables)
        acknowledgeRoutine = .acknowledge(tables)
        self.clock = clock
        self.logger = logger
        self.client = client
        self.clientTask = clientTask
    }

    /// Connects to the database at `url`, creating the schema and its tables when missing and migrating an
    /// older schema (safely when several nodes start at once).
    ///
    /// - Parameters:
    ///   - url: `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME]`; a `schema` here overrides the
    ///     configuration's.
    ///   - configuration: Schema, pool size, timeouts.
    ///   - clock: The clock of `deliverat` times, leases, redelivery delays and retention ages.
    ///   - logger: Where the store logs.
    /// - Throws: ``EventLogError``: ``EventLogError/Code/invalidArgument`` for a bad URL or configuration,
    ///   ``EventLogError/Code/unavailable`` when the server cannot be reached, ``EventLogError/Code/storage``
    ///   when it refuses (login, missing database, a schema from a newer Herald).
    public static func connect(
        url: String,
        configuration: Configuration = Configuration(),
        clock: any WallClock = SystemWallClock(),
        logger: Logger = Logger(label: "herald.postgres")
    ) async throws -> PostgresEventStore {
        let parsed = try PostgresURL(url)
        var configuration = configuration
        if let schema = parsed.schema { configuration.schema = schema }
        try configuration.validate()
        var clientConfiguration = try parsed.clientConfiguration(configuration)
        // One more connection than the operations may use: the listener holds one for good.
        clientConfiguration.options.maximumConnections = configuration.maximumConnections + 1
        let client = PostgresClient(configuration: clientConfiguration, backgroundLogger: logger)
        let clientTask = Task { await client.run() }
        let store = PostgresEventStore(
            url: parsed,
            configuration: configuration,
            clock: clock,
            logger: logger,
            client: client,
            clientTask: clientTask
        )
        do {
            try await store.withConnection("connecting") { connection in
                _ = connection
            }
            try await store.operation("migrating the schema") {
                try await PostgresSchema.migrate(
                    client, tables: store.tables, routines: [store.takeRoutine, store.acknowledgeRoutine],
                    logger: logger)
            }
            try await store.refreshSchedule()
        } catch {
            clientTask.cancel()
            await clientTask.value
            throw error
        }
        store.startListening()
        logger.debug("connected to the PostgreSQL event store", metadata: ["url": "\(parsed)"])
        return store
    }

    /// Waits for the operations under way to end, then closes the connections.
    ///
    /// Waiting calls (``poll(group:max:wait:)``, ``waitForEvents(after:timeout:)``) end at once with
    /// ``EventLogError/Code/closed``. Closing a closed store does nothing.
    public func close() async throws {
        guard await gate.close(wake: { changes.signal() }) else { return }
        if let listener = listenerTask.withLock({ $0 }) {
            listener.cancel()
            await listener.value
        }
        clientTask.cancel()
        await clientTask.value
    }

    // MARK: - Operations

    /// Runs one public operation: refuses it after `close`, keeps `close` waiting until it ends, and (unless
    /// `mapsErrors` is `false`) turns postgres-nio's errors into ``EventLogError``s that name `name`.
    func operation<T>(_ name: String, mapsErrors: Bool = true, _ body: () async throws -> T) async throws -> T {
        do {
            return try await gate.run(body)
        } catch let error as EventLogError {
            throw error
        } catch {
            throw mapsErrors ? PostgresStorageFailure.map(error, url: url, operation: name) : error
        }
    }

    /// Throws ``EventLogError/Code/closed`` once `close` has begun; waiting loops call it after each wake.
    func checkOpen() throws(EventLogError) {
        try gate.checkOpen()
    }

    /// Runs `body` on a pooled connection; fails with ``EventLogError/Code/unavailable`` when a whole
    /// ``Configuration/connectTimeout`` passes while it waits in which no operation of this store got a
    /// connection (the pool keeps trying to connect while the server is down), or when the connection closes
    /// under `body` and `body` does not end (``ClosedConnectionGuard``). Waiting in the queue while other
    /// operations get connections is load, so the wait goes on.
    func withConnection<T: Sendable>(
        _ operation: String,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let started = ConnectionStarted()
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await self.client.withConnection { connection in
                    started.value.store(true, ordering: .relaxed)
                    self.connectionsHandedOut.add(1, ordering: .relaxed)
                    return try await ClosedConnectionGuard.run(
                        on: connection, url: self.url, operation: operation, body)
                }
            }
            let timeout = configuration.connectTimeout
            group.addTask {
                var handedOut = self.connectionsHandedOut.load(ordering: .relaxed)
                while true {
                    try await Task.sleep(for: timeout)
                    if started.value.load(ordering: .relaxed) { return nil }
                    let now = self.connectionsHandedOut.load(ordering: .relaxed)
                    guard now != handedOut else {
                        throw PostgresStorageFailure.unavailable(
                            url: self.url,
                            operation: operation,
                            reason: "no connection within \(timeout)"
                        )
                    }
                    handedOut = now
                }
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let value = result { return value }
            }
            throw CancellationError()
        }
    }

    /// Runs `body` in a transaction on a pooled connection; see ``withConnection(_:_:)``. `afterCommit` runs
    /// on the same connection once the commit has succeeded.
    func withTransaction<T: Sendable>(
        _ operation: String,
        afterCommit: (@Sendable (T, PostgresConnection) async -> Void)? = nil,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await withConnection(operation) { connection in
            try await connection.query("BEGIN", logger: self.logger)
            let value: T
            do {
                value = try await body(connection)
                try await connection.query("COMMIT", logger: self.logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: self.logger)
                throw error
            }
            await afterCommit?(value, connection)
            return value
        }
    }

    /// Runs `body` in a transaction that may write to the log, as ``withTransaction(_:afterCommit:_:)`` does;
    /// after the commit, announces what it wrote (``announce(_:on:)``).
    func withLogTransaction<T: Sendable>(
        _ operation: String,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> (T, PostgresLogWrite?)
    ) async throws -> (T, PostgresLogWrite?) {
        try await withTransaction(
            operation,
            afterCommit: { value, connection in
                if let write = value.1 { await self.announce(write, on: connection) }
            },
            body
        )
    }

    /// After the commit of a transaction that wrote to the log: waits until its events are readable, up to
    /// ``Configuration/visibilityWait``, and notifies every node (``PostgresLogHead/awaitReadable``). The
    /// events are durable already, so a failure here is logged, not thrown: the nodes find them at their
    /// next look.
    func announce(_ write: PostgresLogWrite, on connection: PostgresConnection) async {
        do {
            let readable = try await PostgresLogHead.awaitReadable(
                base: write.base,
                notifying: PostgresLogHead.notificationPayload(scheduling: write.scheduling),
                tables: tables,
                limit: configuration.visibilityWait,
                on: connection,
                logger: logger
            )
            if !readable {
                logger.warning(
                    """
                    committed events are not readable yet: an older transaction in the PostgreSQL cluster is \
                    still running, and readers on every node wait for it to end; look for long transactions in \
                    pg_stat_activity (backend_xid)
                    """,
                    metadata: ["waited": "\(configuration.visibilityWait)"]
                )
            }
        } catch {
            logger.warning(
                "could not notify the nodes of committed events; they find them at their next look",
                metadata: ["error": "\(error)"])
        }
        changes.signal()
    }

    // MARK: - EventLog

    /// Appends events atomically, in order, returning one result per event; see
    /// ``EventLog/append(_:expecting:)``.
    ///
    /// Appends made concurrently on this node are committed in one transaction; each caller gets its own
    /// results or error, and one request's failure (such as a version conflict) does not fail the others.
    public func append(_ events: [Event], expecting expectation: StreamExpectation?) async throws -> [AppendResult] {
        try AppendBatch.validate(events, expecting: expectation)
        try PostgresText.checkStorable(events)
        guard !events.isEmpty else { return [] }
        if PostgresOutboxScope.store == ObjectIdentifier(self) {
            throw EventLogError.insideOwnTransaction(
                "append was called", instead: "use the transaction's publish(_:) instead")
        }
        return try await operation("append") {
            try await appendQueue.submit(
                { AppendRequest(batch: AppendBatch(events: events, expectation: expectation), continuation: $0) },
                flush: { await self.flushAppends() })
        }
    }

    /// Reads up to `limit` events after `sequence` that pass `filter`; see ``EventLog/read(after:filter:limit:)``.
    ///
    /// - Throws: ``EventLogError/Code/invalidArgument`` when `limit` is not within 1...10,000.
    public func read(after sequence: Int64, filter: EventFilter, limit: Int) async throws -> EventPage {
        try StoreLimits.checkRead(limit: limit, of: "read")
        return try await operation("read") {
            try await promoteDueEvents()
            var bindings = PostgresBindings()
            bindings.append(sequence)
            var sql = """
                WITH head AS (
                    SELECT \(PostgresLogHead.settled(tables)) AS settled, \(PostgresLogHead.last(tables)) AS last
                )
                SELECT e.sequence, e.event, head.last FROM head
                LEFT JOIN LATERAL (SELECT sequence, event FROM \(tables.events)
                    WHERE sequence > $1 AND sequence <= head.settled
                """
            // No stored source, subject or type holds a NUL (PostgresText), so such a filter matches nothing.
            let filterTexts = [filter.source, filter.subject, filter.topic?.text].compactMap { $0 }
            if !filterTexts.allSatisfy(PostgresText.isStorable) {
                sql += " AND false"
            }
            if let source = filter.source, PostgresText.isStorable(source) {
                bindings.append(source)
                sql += " AND source = $\(bindings.count)"
            }
            if let subject = filter.subject, PostgresText.isStorable(subject) {
                bindings.append(subject)
                sql += " AND subject = $\(bindings.count)"
            }
            if let time = filter.time {
                bindings.append(time.lowerBound.timeIntervalSinceReferenceDate)
                sql += " AND time >= $\(bindings.count)"
                bindings.append(time.upperBound.timeIntervalSinceReferenceDate)
                sql += " AND time < $\(bindings.count)"
            }
            if let topic = filter.topic, PostgresText.isStorable(topic.text),
                let condition = PostgresTopicCondition.sql(topic, column: "type", bindings: &bindings)
            {
                sql += " AND " + condition
            }
            bindings.append(Int64(limit))
            sql += " ORDER BY sequence LIMIT $\(bindings.count)) AS e ON true ORDER BY e.sequence"
            let query = PostgresQuery(unsafeSQL: sql, binds: bindings)
            let url = url
            let (events, highWater) = try await withConnection("read") { connection in
                var events: [StoredEvent] = []
                var highWater: Int64 = 0
                let rows = try await connection.query(query, logger: self.logger)
                for try await (sequence, record, head) in rows.decode((Int64?, ByteBuffer?, Int64).self) {
                    highWater = head
                    if let sequence, let record {
                        events.append(try Self.decode(sequence: sequence, record: record, url: url))
                    }
                }
                return (events, highWater)
            }
            let nextAfter =
                events.count == limit ? events[events.count - 1].sequence : max(highWater, events.last?.sequence ?? 0)
            return EventPage(events: events, nextAfter: max(sequence, nextAfter))
        }
    }

    /// The highest sequence readable now (retention does not lower it), or 0.
    public func lastSequence() async throws -> Int64 {
        try await operation("lastSequence") {
            try await promoteDueEvents()
            return try await headState().lastSequence
        }
    }

    /// How many stored events have `stream` as their subject.
    public func streamVersion(_ stream: String) async throws -> Int {
        guard PostgresText.isStorable(stream) else { return 0 }
        return try await operation("streamVersion") {
            try await promoteDueEvents()
            let query: PostgresQuery = "SELECT count(*) FROM \(unescaped: tables.events) WHERE subject = \(stream)"
            return try await withConnection("streamVersion") { connection in
                var count: Int64 = 0
                for try await value in try await connection.query(query, logger: self.logger).decode(Int64.self) {
                    count = value
                }
                return Int(count)
            }
        }
    }

    /// Every stored event type with its count and newest sequence, from the `(type, sequence)` index; see
    /// ``EventLog/eventTypes()``.
    public func eventTypes() async throws -> [EventTypeSummary] {
        try await operation("eventTypes") {
            try await promoteDueEvents()
            let query: PostgresQuery =
                "SELECT type, count(*), max(sequence) FROM \(unescaped: tables.events) GROUP BY type ORDER BY type"
            return try await withConnection("eventTypes") { connection in
                var summaries: [EventTypeSummary] = []
                let rows = try await connection.query(query, logger: self.logger)
                for try await (type, count, last) in rows.decode((String, Int64, Int64).self) {
                    summaries.append(EventTypeSummary(type: type, count: Int(count), lastSequence: last))
                }
                return summaries
            }
        }
    }

    /// Waits until an event with a sequence above `sequence` is stored, or `timeout` passes; see
    /// ``EventLog/waitForEvents(after:timeout:)``.
    ///
    /// Woken by this node's commits, by notifications from the other nodes, when the earliest scheduled
    /// event comes due, and every ``Configuration/fallbackPollInterval``. `timeout` is measured on the
    /// store's clock.
    public func waitForEvents(after sequence: Int64, timeout: Duration) async throws -> Bool {
        try await operation("waitForEvents") {
            let deadline = clock.now.addingTimeInterval(timeout.clampedToAYear.timeInterval)
            while true {
                let generation = changes.generation
                try Task.checkCancellation()
                try checkOpen()
                try await promoteDueEvents()
                let head = try await headState()
                if head.lastSequence > sequence { return true }
                let now = clock.now
                if now >= deadline { return false }
                let wake = [deadline, head.earliestDue, now.adding(configuration.fallbackPollInterval)]
                    .compactMap { $0 }.min()!
                try await changes.wait(after: generation, until: wake, clock: clock)
            }
        }
    }

    /// Removes the events the policies allow to go; see ``EventLog/applyRetention(_:)``.
    public func applyRetention(_ policies: [RetentionPolicy]) async throws -> Int {
        guard !policies.isEmpty else { return 0 }
        return try await operation("applyRetention") {
            let now = clock.now
            return try await withTransaction("applyRetention") { connection in
                try await PostgresRetention(tables: self.tables, logger: self.logger, now: now)
                    .apply(policies, on: connection)
            }
        }
    }

    // MARK: - Shared helpers

    /// The highest readable sequence (``PostgresLogHead/last(_:)``) and the earliest due time of the
    /// scheduled events, in one read; remembers the due time for later waits.
    func headState() async throws -> (lastSequence: Int64, earliestDue: Date?) {
        let query = PostgresQuery(
            unsafeSQL: """
                SELECT \(PostgresLogHead.last(tables)), (SELECT min(deliver_at) FROM \(tables.scheduled))
                """
        )
        let head = try await withConnection("reading the log head") { connection in
            var head: (Int64, Date?) = (0, nil)
            for try await (last, due) in try await connection.query(query, logger: self.logger)
                .decode((Int64, Double?).self)
            {
                head = (last, due.map(Date.init(timeIntervalSinceReferenceDate:)))
            }
            return head
        }
        state.withLock { $0.earliestDue = head.1 }
        return head
    }

    /// When the earliest scheduled event comes due, as last read; `nil` when none was scheduled then.
    var scheduledDue: Date? { state.withLock(\.earliestDue) }

    /// Notes the due time another node announced for an event it scheduled (`due:SECONDS`).
    private func noteScheduled(_ payload: String) {
        guard payload.hasPrefix("due:"), let seconds = Double(payload.dropFirst(4)) else { return }
        let due = Date(timeIntervalSinceReferenceDate: seconds)
        state.withLock { $0.earliestDue = min($0.earliestDue ?? due, due) }
    }

    /// Reads when the earliest scheduled event comes due.
    func refreshSchedule() async throws {
        _ = try await headState()
    }

    /// Moves the scheduled events that have come due into the log, when the last look said some may have.
    func promoteDueEvents() async throws {
        guard let due = state.withLock(\.earliestDue), due <= clock.now else { return }
        let now = clock.now
        _ = try await withLogTransaction("delivering scheduled events") { connection in
            let writer = PostgresAppendWriter(tables: self.tables, logger: self.logger, now: now)
            return ((), try await writer.promoteDueEvents(on: connection))
        }
        _ = try await headState()
    }

    /// Decodes an event record read from the database.
    static func decode(sequence: Int64, record: ByteBuffer, url: PostgresURL) throws -> StoredEvent {
        guard let event = record.withUnsafeReadableBytes({ EventRecordCodec.decode(bytes: $0) }) else {
            throw EventLogError(
                .storage,
                "the event at sequence \(sequence) in \(url) cannot be decoded: the table was changed by hand or "
                    + "written by an incompatible Herald; restore it from a backup"
            )
        }
        return StoredEvent(sequence: sequence, event: event)
    }

    /// Listens for the other nodes' notifications on one pooled connection, waking this node's waiters on
    /// each, and reconnects (waking them too, in case one was missed) when the connection is lost.
    private func startListening() {
        let task = Task { [client, tables, logger, changes] in
            var failures = 0
            while !Task.isCancelled {
                do {
                    try await client.withConnection { connection in
                        try await connection.listen(on: tables.channel) { notifications in
                            failures = 0
                            changes.signal()
                            for try await notification in notifications {
                                self.noteScheduled(notification.payload)
                                changes.signal()
                            }
                        }
                    }
                } catch is CancellationError {
                    return
                } catch {
                    if Task.isCancelled { return }
                    failures += 1
                    logger.warning(
                        "lost the PostgreSQL notification connection; reconnecting",
                        metadata: ["error": "\(error)", "attempt": "\(failures)"]
                    )
                    changes.signal()
                    let backoff = min(Double(failures) * 0.2, 2.0)
                    try? await Task.sleep(for: .seconds(backoff))
                }
            }
        }
        listenerTask.withLock { $0 = task }
    }
}

/// Whether an operation got its connection: the connect timeout fails only operations still waiting.
private final class ConnectionStarted: Sendable {
    let value = Atomic<Bool>(false)
}
