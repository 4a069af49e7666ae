import Foundation
import Herald
import Logging
import SQLiteNIO
import Synchronization

/// The embedded event store: an ``EventLog`` and ``ConsumerGroupStore`` in one SQLite file, for one
/// process.
///
/// The file is in WAL mode: one connection writes, ``Configuration/readerConnections`` others read
/// concurrently. With the default ``Synchronous/full`` every commit is on the disk before the call that
/// made it returns. Concurrent appends are committed together (group commit), so many small appends from
/// many tasks cost one disk sync per group rather than one each. Waiters (``waitForEvents(after:timeout:)``,
/// followers, long polls) are woken in-process on every commit and when a scheduled event or a redelivery
/// comes due; nothing polls the file.
///
/// Open it with ``open(path:configuration:clock:logger:)`` and call ``close()`` when done; every
/// operation after `close` throws ``EventLogError`` with ``EventLogError/Code/closed``. Use
/// ``transaction(_:)`` to write your own tables and publish events atomically (a transactional outbox).
///
/// - Important: Only one store may open a file at a time, in one process: the store keeps the log's
///   high-water mark, wake-ups and consumer groups' leases in memory. `open` refuses a file that another
///   store holds (an exclusive lock on `<path>.lock`, which the kernel releases when a process ends).
public final class SQLiteEventStore: AcknowledgingEventLog, Sendable {
    /// The path of the database file.
    public let path: String
    let clock: any WallClock
    let logger: Logger
    let writer: SQLiteConnection
    private let readers: [SQLiteConnection]
    private let threadPool: NIOThreadPool
    private let nextReader = Atomic<Int>(0)
    private let writeLock = AsyncLock()
    let appendQueue = GroupCommitQueue<AppendRequest>()
    /// Process saves waiting to be committed together (`SQLiteEventStore+Processes.swift`).
    let processSaveQueue = GroupCommitQueue<ProcessSaveRequest>()
    /// Poll rounds waiting to run together (`SQLiteEventStore+ConsumerGroups.swift`).
    let pollQueue = GroupCommitQueue<PollRoundRequest>()
    let changes = ChangeSignal()
    /// Refuses operations once `close` has begun, and lets it wait for those under way.
    let gate: OperationGate
    let state: Mutex<State>
    /// A directory the store created for itself and removes on close (``openTemporary(clock:logger:)``).
    private let ownedDirectory: URL?
    /// Keeps other stores off the file until ``close()``.
    private let fileLock: SQLiteFileLock?
    /// The configured `synchronous` setting of the write connection.
    private let synchronous: Synchronous

    struct State {
        /// The highest sequence committed: the log's high-water mark.
        var lastSequence: Int64
        /// When the earliest scheduled event comes due; `nil` exactly when no event is scheduled.
        var earliestDue: Date?
        /// The positions and leases of the consumer groups, by group id (see ``GroupPosition``).
        var groups: [Int: GroupPosition] = [:]
        /// The consumer groups' rows by name, as this process last read or wrote them.
        var groupRecords: [String: ConsumerGroupRecord] = [:]
        /// Whether the write connection runs with `synchronous = OFF` for the soft commits of polls (see
        /// ``withWriter(softCommits:_:)``); read and changed only by the holder of the write lock.
        var writerCommitsSoftly = false
    }

    private init(
        path: String,
        clock: any WallClock,
        logger: Logger,
        writer: SQLiteConnection,
        readers: [SQLiteConnection],
        threadPool: NIOThreadPool,
        state: State,
        ownedDirectory: URL?,
        fileLock: SQLiteFileLock?,
        synchronous: Synchronous
    ) {
        self.path = path
        gate = OperationGate {
            EventLogError(.closed, "the SQLite event store at '\(path)' is closed; open it again to use it")
        }
        self.clock = clock
        self.logger = logger
        self.writer = writer
        self.readers = readers
        self.threadPool = threadPool
        self.state = Mutex(state)
        self.ownedDirectory = ownedDirectory
        self.fileLock = fileLock
        self.synchronous = synchronous
    }

    /// Opens the store in the SQLite file at `path`, creating the file and its tables when missing and
    /// migrating an older schema.
    ///
    /// - Parameters:
    ///   - path: The database file. SQLite creates `<path>-wal` and `<path>-shm` beside it, so its
    ///     directory must be writable. A `file:` URI is accepted too.
    ///   - configuration: Durability, connections, timeouts and an optional size limit.
    ///   - clock: The clock of `deliverat` times, leases, redelivery delays and retention ages.
    ///   - logger: Where the store logs.
    /// - Throws: ``EventLogError`` with ``EventLogError/Code/storage`` naming the path and the likely fix
    ///   when the file cannot be opened or created, is not a database or is damaged, is read-only, or was
    ///   written by a newer Herald; ``EventLogError/Code/invalidArgument`` for an invalid configuration.
    public static func open(
        path: String,
        configuration: Configuration = Configuration(),
        clock: any WallClock = SystemWallClock(),
        logger: Logger = Logger(label: "herald.sqlite")
    ) async throws -> SQLiteEventStore {
        try await open(path: path, configuration: configuration, clock: clock, logger: logger, ownedDirectory: nil)
    }

    /// Opens a store in a new file in a new temporary directory, which ``close()`` deletes: a scratch
    /// store for tests and experiments that behaves exactly like a file-backed one.
    public static func openTemporary(
        configuration: Configuration = Configuration(),
        clock: any WallClock = SystemWallClock(),
        logger: Logger = Logger(label: "herald.sqlite")
    ) async throws -> SQLiteEventStore {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw EventLogError(
                .storage,
                "cannot create a temporary directory at '\(directory.path)': \(error); set TMPDIR to a writable "
                    + "directory"
            )
        }
        do {
            return try await open(
                path: directory.appendingPathComponent("events.sqlite").path,
                configuration: configuration,
                clock: clock,
                logger: logger,
                ownedDirectory: directory
            )
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
    }

    private static func open(
        path: String,
        configuration: Configuration,
        clock: any WallClock,
        logger: Logger,
        ownedDirectory: URL?
    ) async throws -> SQLiteEventStore {
        try configuration.validate()
        let fileLock = try SQLiteFileLock.acquire(for: path)
        let threadPool = NIOThreadPool(numberOfThreads: configuration.readerConnections + 1)
        threadPool.start()
        var connections: [SQLiteConnection] = []
        do {
            let writer = try await connect(path: path, threadPool: threadPool, logger: logger)
            connections.append(writer)
            try await prepareWriter(writer, path: path, configuration: configuration)
            try await recoverGroups(writer, now: clock.now, path: path, logger: logger)
            for _ in 0..<configuration.readerConnections {
                let reader = try await connect(path: path, threadPool: threadPool, logger: logger)
                connections.append(reader)
                _ = try await reader.query("PRAGMA busy_timeout = \(configuration.busyTimeoutMilliseconds)")
                _ = try await reader.query("PRAGMA query_only = 1")
            }
            let state = try await loadState(writer, path: path)
            logger.debug(
                "opened the SQLite event store",
                metadata: ["path": "\(path)", "lastSequence": "\(state.lastSequence)"]
            )
            return SQLiteEventStore(
                path: path,
                clock: clock,
                logger: logger,
                writer: writer,
                readers: Array(connections.dropFirst()),
                threadPool: threadPool,
                state: state,
                ownedDirectory: ownedDirectory,
                fileLock: fileLock,
                synchronous: configuration.synchronous
            )
        } catch {
            for connection in connections { try? await connection.close() }
            try? await threadPool.shutdownGracefully()
            fileLock?.release()
            throw SQLiteStorageFailure.map(error, path: path, operation: "opening the event store")
        }
    }

    private static func connect(path: String, threadPool: NIOThreadPool, logger: Logger) async throws
        -> SQLiteConnection
    {
        let connection = try await SQLiteConnection.open(
            storage: .file(path: path),
            threadPool: threadPool,
            logger: logger,
            on: MultiThreadedEventLoopGroup.singleton.any()
        )
        do {
            try await connection.install(customFunction: TopicCondition.function())
        } catch {
            try? await connection.close()
            throw error
        }
        return connection
    }

    private static func prepareWriter(
        _ writer: SQLiteConnection,
        path: String,
        configuration: Configuration
    ) async throws {
        _ = try await writer.query("PRAGMA busy_timeout = \(configuration.busyTimeoutMilliseconds)")
        _ = try await writer.query("PRAGMA foreign_keys = ON")
        // Refuse a newer file before anything below writes to it.
        try SQLiteSchema.check(version: try await SQLiteSchema.version(of: writer), path: path)
        let mode = try await writer.query("PRAGMA journal_mode = WAL").first?.column("journal_mode")?.string
        guard mode?.lowercased() == "wal" else {
            throw EventLogError(
                .storage,
                "the database '\(path)' could not be switched to WAL mode (it reports '\(mode ?? "nothing")'); "
                    + "use a file on a local file system that supports shared memory"
            )
        }
        _ = try await writer.query("PRAGMA synchronous = \(configuration.synchronous.pragma)")
        if let pages = configuration.maximumPageCount {
            _ = try await writer.query("PRAGMA max_page_count = \(pages)")
        }
        try await SQLiteSchema.migrate(writer, path: path)
    }

    private static func loadState(_ writer: SQLiteConnection, path: String) async throws -> State {
        let rows = try await writer.query(
            """
            SELECT max(
                coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0),
                coalesce((SELECT max(sequence) FROM events), 0)
            ) AS last_sequence, (SELECT min(deliver_at) FROM scheduled) AS earliest_due
            """
        )
        let lastSequence = Int64(rows.first?.column("last_sequence")?.integer ?? 0)
        let due = rows.first?.column("earliest_due")?.double.map(Date.init(timeIntervalSinceReferenceDate:))
        return State(lastSequence: lastSequence, earliestDue: due)
    }

    /// Waits for the operations under way to end, then closes the database.
    ///
    /// Waiting calls (``poll(group:max:wait:)``, ``waitForEvents(after:timeout:)``) end at once with
    /// ``EventLogError/Code/closed``. Closing a closed store does nothing. Closing goes on to the end even when the
    /// calling task is cancelled, as by a shutdown cut short: the files are closed and the write-ahead log synced.
    public func close() async throws {
        guard await gate.close(wake: { changes.signal() }) else { return }
        // A task of its own, which the caller's cancellation does not reach: the thread pool refuses work for a
        // cancelled task, and a connection left open would keep its file and lose the final checkpoint's sync.
        try await Task { try await self.closeDatabase() }.value
    }

    /// Syncs and closes the connections and the thread pool, once every operation has ended.
    private func closeDatabase() async throws {
        var failure: (any Error)?
        // Closing checkpoints the write-ahead log into the file and removes it: that must be synced even
        // when the last commit was a poll's soft one, or a power loss right after could lose durable events.
        await writeLock.lock()
        if state.withLock(\.writerCommitsSoftly) {
            do {
                _ = try await writer.query("PRAGMA synchronous = \(synchronous.pragma)")
                state.withLock { $0.writerCommitsSoftly = false }
            } catch {
                failure = error
            }
        }
        writeLock.unlock()
        for connection in [writer] + readers {
            do { try await connection.close() } catch { failure = failure ?? error }
        }
        do { try await threadPool.shutdownGracefully() } catch { failure = failure ?? error }
        fileLock?.release()
        if let ownedDirectory { try? FileManager.default.removeItem(at: ownedDirectory) }
        if let failure { throw SQLiteStorageFailure.map(failure, path: path, operation: "closing the event store") }
    }

    // MARK: - Operations

    /// Runs one public operation: refuses it after `close`, keeps `close` waiting until it ends, and
    /// (unless `mapsErrors` is `false`) turns SQLite errors into ``EventLogError``s that name `name` and
    /// the file.
    func operation<T>(_ name: String, mapsErrors: Bool = true, _ body: () async throws -> T) async throws -> T {
        do {
            return try await gate.run(body)
        } catch let error as EventLogError {
            throw error
        } catch {
            throw mapsErrors ? SQLiteStorageFailure.map(error, path: path, operation: name) : error
        }
    }

    /// Throws ``EventLogError/Code/closed`` once `close` has begun; waiting loops call it after each wake.
    func checkOpen() throws(EventLogError) {
        try gate.checkOpen()
    }

    /// A read connection, in turn.
    func reader() -> SQLiteConnection {
        readers[nextReader.add(1, ordering: .relaxed).oldValue % readers.count]
    }

    /// Runs `body` while no write commits, so that what it reads on a read connection and what this process
    /// holds of the groups' positions (published after each write's commit) come from the same moment.
    func withoutWrites<T>(_ body: () async throws -> T) async throws -> T {
        // Inside the store's own transaction the write connection is held already, by the caller.
        guard OutboxScope.store != ObjectIdentifier(self) else { return try await body() }
        await writeLock.lock()
        defer { writeLock.unlock() }
        return try await body()
    }

    /// Runs `body` in a write transaction (`BEGIN IMMEDIATE`) on the write connection, one at a time, and
    /// publishes what it changed (the new high-water mark, wake-ups) after the commit. Rolls back when
    /// `body` or the commit throws.
    func writeTransaction<T>(_ body: (WriteContext) async throws -> T) async throws -> T {
        try await withWriter { context in
            try await inTransaction(context) { try await body(context) }
        }
    }

    /// Runs `body` holding the write connection, one at a time, and publishes what it changed (the new
    /// high-water mark, wake-ups) when it returns; publishes nothing when it throws.
    ///
    /// With `softCommits`, what `body` commits does not wait for the disk (`synchronous = OFF`): for a
    /// poll's leases, soft state that a power loss may undo only by redelivering events. The write-ahead
    /// log is written in order, so the next durable commit (of the configured setting) syncs it too; and a
    /// killed process loses nothing, since the operating system has the writes.
    ///
    /// - Important: Outside ``inTransaction(_:_:)`` every statement commits on its own, so `body` may run
    ///   only one statement that writes: SQLite makes a lone statement atomic and durable by itself, which
    ///   saves the round trips of `BEGIN` and `COMMIT`.
    func withWriter<T>(softCommits: Bool = false, _ body: (WriteContext) async throws -> T) async throws -> T {
        if OutboxScope.store == ObjectIdentifier(self) {
            throw EventLogError.insideOwnTransaction(
                "this write was made",
                instead: "publish events with the transaction's publish(_:) and write other things after it commits")
        }
        await writeLock.lock()
        defer { writeLock.unlock() }
        // `normal` syncs only at checkpoints already.
        let soft = softCommits && synchronous == .full
        if soft != state.withLock(\.writerCommitsSoftly) {
            do {
                _ = try await writer.query("PRAGMA synchronous = \(soft ? "OFF" : synchronous.pragma)")
            } catch {
                throw SQLiteStorageFailure.map(error, path: path, operation: "setting synchronous")
            }
            state.withLock { $0.writerCommitsSoftly = soft }
        }
        let context = state.withLock { state in
            WriteContext(
                connection: writer,
                now: clock.now,
                lastSequence: state.lastSequence,
                earliestDue: state.earliestDue,
                groups: state.groups,
                groupRecords: state.groupRecords
            )
        }
        let value = try await body(context)
        publish(context)
        return value
    }

    /// Runs `body` in a write transaction (`BEGIN IMMEDIATE`) on `context`, which ``withWriter(_:)`` gave;
    /// rolls back when `body` or the commit throws.
    func inTransaction<T>(_ context: WriteContext, _ body: () async throws -> T) async throws -> T {
        do {
            try await context.beginWrites()
        } catch {
            throw SQLiteStorageFailure.map(error, path: path, operation: "beginning a transaction")
        }
        return try await inLazyTransaction(context, body)
    }

    /// Runs `body` on `context`, which ``withWriter(softCommits:_:)`` gave, and commits the transaction it
    /// opened with ``WriteContext/beginWrites()``, if it did; rolls it back when `body` or the commit
    /// throws. A body that writes only once, as its last statement, needs no transaction: SQLite makes a
    /// lone statement atomic and durable by itself, which saves the round trips of `BEGIN` and `COMMIT`.
    func inLazyTransaction<T>(_ context: WriteContext, _ body: () async throws -> T) async throws -> T {
        do {
            let value = try await body()
            if context.isInTransaction {
                do {
                    try await context.query("COMMIT")
                    context.isInTransaction = false
                } catch {
                    throw SQLiteStorageFailure.map(error, path: path, operation: "commit")
                }
            }
            return value
        } catch {
            guard context.isInTransaction else { throw error }
            context.isInTransaction = false
            // SQLite may have rolled back already (disk full, I/O error); then this fails harmlessly. In a task
            // of its own, because in a cancelled task every statement fails before it runs (NIO's thread pool
            // checks for cancellation), which would leave the transaction open on the write connection and
            // make every later BEGIN fail.
            let connection = context.connection
            _ = await Task { try? await connection.query("ROLLBACK") }.value
            throw error
        }
    }

    private func publish(_ context: WriteContext) {
        state.withLock { state in
            state.lastSequence = context.lastSequence
            state.earliestDue = context.earliestDue
            state.groups = context.groups
            state.groupRecords = context.groupRecords
        }
        if context.changed { changes.signal() }
    }

    // MARK: - EventLog

    /// Appends events atomically, in order, returning one result per event; see
    /// ``EventLog/append(_:expecting:)``.
    ///
    /// Appends made concurrently are committed in one transaction; each caller gets its own results or
    /// error, and one request's failure (such as a version conflict) does not fail the others. Once
    /// queued, an append is carried out even if the calling task is cancelled.
    public func append(_ events: [Event], expecting expectation: StreamExpectation?) async throws -> [AppendResult] {
        try AppendBatch.validate(events, expecting: expectation)
        guard !events.isEmpty else { return [] }
        if OutboxScope.store == ObjectIdentifier(self) {
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
            let highWater = state.withLock(\.lastSequence)
            var sql = "SELECT sequence, event FROM events WHERE sequence > ?"
            var bindings: [SQLiteData] = [sequence.stored]
            if let source = filter.source {
                sql += " AND source = ?"
                bindings.append(.text(source))
            }
            if let subject = filter.subject {
                sql += " AND subject = ?"
                bindings.append(.text(subject))
            }
            if let time = filter.time {
                sql += " AND time >= ? AND time < ?"
                bindings += [
                    .float(time.lowerBound.timeIntervalSinceReferenceDate),
                    .float(time.upperBound.timeIntervalSinceReferenceDate),
                ]
            }
            if let topic = filter.topic, let condition = TopicCondition(topic) {
                sql += " AND " + condition.sql
                bindings += condition.bindings
            }
            sql += " ORDER BY sequence LIMIT ?"
            bindings.append(.integer(SQLiteInt64(limit)))
            let events = try Self.decode(try await reader().query(sql, bindings), path: path)
            let nextAfter =
                events.count == limit ? events[events.count - 1].sequence : max(highWater, events.last?.sequence ?? 0)
            return EventPage(events: events, nextAfter: max(sequence, nextAfter))
        }
    }

    /// The highest sequence stored so far (the high-water mark, which retention does not lower), or 0.
    public func lastSequence() async throws -> Int64 {
        try await operation("lastSequence") {
            try await promoteDueEvents()
            return state.withLock(\.lastSequence)
        }
    }

    /// How many stored events have `stream` as their subject.
    public func streamVersion(_ stream: String) async throws -> Int {
        try await operation("streamVersion") {
            try await promoteDueEvents()
            let rows = try await reader().query(
                "SELECT count(*) AS version FROM events WHERE subject = ?",
                [.text(stream)]
            )
            return rows.first?.column("version")?.integer ?? 0
        }
    }

    /// Every stored event type with its count and newest sequence, from the `(type, sequence)` index
    /// alone; see ``EventLog/eventTypes()``.
    public func eventTypes() async throws -> [EventTypeSummary] {
        try await operation("eventTypes") {
            try await promoteDueEvents()
            let rows = try await reader().query(
                """
                SELECT type, count(*) AS count, max(sequence) AS last_sequence
                FROM events INDEXED BY events_by_type GROUP BY type ORDER BY type
                """
            )
            return rows.map { row in
                EventTypeSummary(
                    type: row.column("type")?.string ?? "",
                    count: row.column("count")?.integer ?? 0,
                    lastSequence: Int64(row.column("last_sequence")?.integer ?? 0)
                )
            }
        }
    }

    /// Waits until an event with a sequence above `sequence` is stored, or `timeout` passes; see
    /// ``EventLog/waitForEvents(after:timeout:)``.
    ///
    /// Woken by every commit of this store, and when the earliest scheduled event comes due. `timeout`
    /// is measured on the store's clock, like every other time of the store.
    public func waitForEvents(after sequence: Int64, timeout: Duration) async throws -> Bool {
        try await operation("waitForEvents") {
            let deadline = clock.now.addingTimeInterval(timeout.clampedToAYear.timeInterval)
            while true {
                // Capture the generation before checking for closing: `close` marks the store closed before
                // it signals, so a close in between either wakes the wait below or fails this check.
                let generation = changes.generation
                try Task.checkCancellation()
                try checkOpen()
                try await promoteDueEvents()
                let (lastSequence, due) = state.withLock { ($0.lastSequence, $0.earliestDue) }
                if lastSequence > sequence { return true }
                if clock.now >= deadline { return false }
                try await changes.wait(after: generation, until: min(deadline, due ?? deadline), clock: clock)
            }
        }
    }

    /// Removes the events the policies allow to go; see ``EventLog/applyRetention(_:)``.
    public func applyRetention(_ policies: [RetentionPolicy]) async throws -> Int {
        let (deleted, damagedGroupTopics) = try await operation("applyRetention") {
            try await writeTransaction { context in try await context.applyRetention(policies) }
        }
        for topic in damagedGroupTopics {
            logger.error(
                "a consumer group's stored topic does not parse; retention keeps every event after its cursor",
                metadata: ["topic": "\(topic)"])
        }
        return deleted
    }

    /// Decodes rows with the columns `sequence` and `event`, read from the database at `path`.
    static func decode(_ rows: [SQLiteRow], path: String) throws -> [StoredEvent] {
        try rows.map { row in
            let sequence = Int64(row.column("sequence")?.integer ?? 0)
            // Decoded from the row's own buffer, without copying it first.
            guard case .blob(let buffer) = row.column("event"),
                let event = buffer.withUnsafeReadableBytes({ EventRecordCodec.decode(bytes: $0) })
            else {
                throw EventLogError(
                    .storage,
                    "the event at sequence \(sequence) in '\(path)' cannot be decoded: the database is damaged or "
                        + "was written by an incompatible Herald; restore it from a backup"
                )
            }
            return StoredEvent(sequence: sequence, event: event)
        }
    }

    /// Moves the scheduled events that have come due into the log, when there are any.
    func promoteDueEvents() async throws {
        guard let due = state.withLock(\.earliestDue), due <= clock.now,
            OutboxScope.store != ObjectIdentifier(self)
        else { return }
        try await writeTransaction { context in try await context.promoteDueEvents() }
    }
}

/// Marks the tasks running the body of a store's ``SQLiteEventStore/transaction(_:)``, whose writes
/// through the store itself would wait for that transaction forever.
enum OutboxScope {
    @TaskLocal static var store: ObjectIdentifier?
}
