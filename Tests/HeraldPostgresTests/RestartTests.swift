import Foundation
import Herald
import HeraldPostgres
import HeraldTesting
import Logging
import Synchronization
import Testing

/// PostgreSQL restarts under load (issue 5's restart test): appends fail fast with
/// ``EventLogError/Code/unavailable`` while the server is down, nothing acknowledged is lost or stored twice,
/// and another node's follower and long poll go on once it is back, woken by its re-established `LISTEN`.
@Suite(
    .serialized,
    .enabled(if: TestDatabase.isEnabled, "needs PostgreSQL: set HERALD_TEST_POSTGRES_URL (./scripts/test does)"))
struct RestartTests {
    static let appenders = 4
    static let batchSize = 2
    /// The most batches each appender sends, one every 10 ms at most: about 15 seconds of load.
    static let maximumBatches = 1_500
    /// How many events are appended after the restart before the appenders stop.
    static let eventsAfterRestart = 200

    @Test(.heavy, .timeLimit(.minutes(10)))
    func appendsAcrossARestartLoseNothingAcknowledgedAndOtherNodesResume() async throws {
        _ = try TestDatabase.requireURL()
        let cluster = try await PostgresTestCluster.start()
        do {
            try await Self.exercise(cluster)
        } catch {
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    static func exercise(_ cluster: PostgresTestCluster) async throws {
        var quiet = Logger(label: "herald.test.restart")
        quiet.logLevel = .error
        // The appending node fails fast; the other waits on notifications alone (its fallback check is a minute
        // away), so that only a re-established LISTEN can wake it soon after the restart.
        let writer = try await connect(
            cluster, configuration: .init(schema: "restart", connectTimeout: .seconds(2)), logger: quiet)
        let reader: PostgresEventStore
        do {
            reader = try await connect(
                cluster,
                configuration: .init(
                    schema: "restart", connectTimeout: .seconds(2), fallbackPollInterval: .seconds(60)),
                logger: quiet)
        } catch {
            try? await writer.close()
            throw error
        }
        do {
            try await run(writer: writer, reader: reader, cluster: cluster)
        } catch {
            try? await reader.close()
            try? await writer.close()
            throw error
        }
        try await reader.close()
        try await writer.close()
    }

    /// Connects to the new cluster, trying again for up to a minute: with the whole suite starting at once, the
    /// first connection and the migration can take longer than the 2 s the stores give an operation, which is
    /// short so that appends fail fast during the restart under test.
    static func connect(
        _ cluster: PostgresTestCluster, configuration: PostgresEventStore.Configuration, logger: Logger
    ) async throws -> PostgresEventStore {
        let deadline = ContinuousClock.now + testHangLimit
        while true {
            do {
                return try await PostgresEventStore.connect(
                    url: cluster.url, configuration: configuration, logger: logger)
            } catch let error as EventLogError where error.code == .unavailable && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    static func run(writer: PostgresEventStore, reader: PostgresEventStore, cluster: PostgresTestCluster) async throws {
        _ = try await writer.createGroup(
            ConsumerGroupConfiguration(
                name: "restart", topic: TopicPattern(">"), maxAttempts: 1_000, ackTimeout: .seconds(2)))
        let progress = AppendProgress()
        let followed = EventIDs()
        let consumed = EventIDs()

        let followerTask = Task { try await follow(reader, into: followed) }
        let consumerTask = Task { try await consume(reader, into: consumed) }
        defer {
            followerTask.cancel()
            consumerTask.cancel()
        }

        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for appender in 0..<appenders {
                tasks.addTask { try await append(to: writer, appender: appender, progress: progress) }
            }
            tasks.addTask {
                try await waitFor("100 batches appended before the restart") { progress.succeeded >= 100 }
                // Down until an append has met the outage, however slowly a loaded machine runs the appenders.
                try await cluster.halt()
                try await waitFor("an append failing while PostgreSQL is down") { progress.unavailableFailures >= 1 }
                try await cluster.resume()
                progress.markRestarted()
            }
            try await tasks.waitForAll()
        }
        #expect(progress.succeededAfterRestart >= eventsAfterRestart / batchSize)
        // The restart was felt: some appends failed, each quickly and as unavailable.
        #expect(progress.unavailableFailures >= 1, "no append failed during the restart")
        #expect(progress.otherFailures.isEmpty, "appends failed otherwise: \(progress.otherFailures.prefix(5))")
        // Each ends within the stores' 2 s connect timeout plus a loaded machine's delays; a hung append would not
        // end.
        #expect(progress.slowestCall < .seconds(30), "an append took \(progress.slowestCall)")

        // Every event whose append succeeded is in the log exactly once, and nothing else is.
        let acknowledged = progress.acknowledgedIDs
        var stored: [String] = []
        var after: Int64 = 0
        while true {
            let page = try await writer.read(after: after, filter: .all, limit: 1_000)
            stored += page.events.map(\.event.id)
            guard page.nextAfter > after else { break }
            after = page.nextAfter
        }
        #expect(stored.count == Set(stored).count, "an event is stored twice")
        #expect(acknowledged.isSubset(of: Set(stored)), "lost: \(acknowledged.subtracting(stored).sorted().prefix(10))")
        // What is stored beyond the acknowledged events can only be batches whose answer the restart cut off.
        let strangers = Set(stored).subtracting(progress.attemptedIDs)
        #expect(strangers.isEmpty, "stored but never appended: \(strangers.sorted().prefix(10))")

        // The other node's follower and long poll saw everything, the events appended after the restart too.
        try await waitFor("the follower on the other node reaching every event", within: .seconds(20)) {
            try await followed.checkFailure("the follower")
            return await followed.count >= stored.count
        }
        #expect(await followed.ordered == stored, "the follower skipped, repeated or reordered events")
        try await waitFor("the long poll on the other node receiving every event", within: .seconds(30)) {
            try await consumed.checkFailure("the long poll")
            return await consumed.set.isSuperset(of: stored)
        }
    }

    /// Appends batches until enough were appended after the restart, retrying a batch that failed as
    /// unavailable (appends are idempotent by source and id).
    static func append(to store: PostgresEventStore, appender: Int, progress: AppendProgress) async throws {
        for batch in 0..<maximumBatches {
            if progress.isRestarted, progress.succeededAfterRestart >= eventsAfterRestart / batchSize { return }
            // Paced, so that the appenders are still at it while PostgreSQL restarts, whatever the machine's speed.
            try await Task.sleep(for: .milliseconds(10))
            let events = (0..<batchSize).map { index in
                Event(id: "a\(appender)-\(batch)-\(index)", source: "/restart", type: "test.restart")
            }
            var attempts = 0
            while true {
                attempts += 1
                let started = ContinuousClock.now
                progress.recordAttempt(events.map(\.id))
                do {
                    _ = try await store.append(events)
                    progress.recordSuccess(events.map(\.id), took: ContinuousClock.now - started)
                    break
                } catch let error as EventLogError where error.code == .unavailable {
                    progress.recordUnavailable(took: ContinuousClock.now - started)
                    guard attempts < 200 else { throw error }
                    // Back off before trying again, as a client should; the store itself never hangs.
                    try await Task.sleep(for: .milliseconds(50))
                } catch {
                    progress.recordOtherFailure("\(error)")
                    throw error
                }
            }
        }
    }

    /// Follows the log from the start, following again from the last event seen when the store is unavailable.
    static func follow(_ store: PostgresEventStore, into ids: EventIDs) async throws {
        var last: Int64 = 0
        while !Task.isCancelled {
            do {
                for try await stored in store.follow(after: last) {
                    await ids.append(stored.event.id)
                    last = stored.sequence
                }
            } catch let error as EventLogError where error.code == .unavailable {
                try await Task.sleep(for: .milliseconds(100))
            } catch {
                await ids.fail(error)
                throw error
            }
        }
    }

    /// Long-polls the group and acknowledges what comes, trying again after an outage.
    static func consume(_ store: PostgresEventStore, into ids: EventIDs) async throws {
        while !Task.isCancelled {
            do {
                let deliveries = try await store.poll(group: "restart", max: 100, wait: .seconds(2))
                for delivery in deliveries { await ids.append(delivery.event.id) }
                _ = try await store.ack(group: "restart", deliveryIDs: deliveries.map(\.id))
            } catch let error as EventLogError where error.code == .unavailable {
                try await Task.sleep(for: .milliseconds(100))
            } catch {
                await ids.fail(error)
                throw error
            }
        }
    }

    /// Waits until `condition` holds, checking every few milliseconds, or fails after `limit`.
    static func waitFor(
        _ what: String, within limit: Duration = .seconds(60), _ condition: () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + limit
        while try await !condition() {
            guard ContinuousClock.now < deadline else { throw PostgresTestFailure("deadline exceeded: \(what)") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}

/// What the appenders did, shared between them.
final class AppendProgress: Sendable {
    private struct State {
        var succeeded = 0
        var restartedAfter: Int?
        var acknowledged = Set<String>()
        var attempted = Set<String>()
        var unavailableFailures = 0
        var otherFailures: [String] = []
        var slowestCall = Duration.zero
    }

    private let state = Mutex(State())

    var succeeded: Int { state.withLock(\.succeeded) }
    var isRestarted: Bool { state.withLock { $0.restartedAfter != nil } }
    /// How many batches had succeeded when the restart ended.
    var restartedAfter: Int { state.withLock { $0.restartedAfter ?? 0 } }
    var succeededAfterRestart: Int {
        state.withLock { state in state.restartedAfter.map { state.succeeded - $0 } ?? 0 }
    }
    var acknowledgedIDs: Set<String> { state.withLock(\.acknowledged) }
    /// Every event an append was tried with, whatever its answer.
    var attemptedIDs: Set<String> { state.withLock(\.attempted) }
    var unavailableFailures: Int { state.withLock(\.unavailableFailures) }
    var otherFailures: [String] { state.withLock(\.otherFailures) }
    var slowestCall: Duration { state.withLock(\.slowestCall) }

    func recordSuccess(_ ids: [String], took duration: Duration) {
        state.withLock { state in
            state.succeeded += 1
            state.acknowledged.formUnion(ids)
            state.slowestCall = max(state.slowestCall, duration)
        }
    }

    func recordAttempt(_ ids: [String]) {
        state.withLock { $0.attempted.formUnion(ids) }
    }

    func recordUnavailable(took duration: Duration) {
        state.withLock { state in
            state.unavailableFailures += 1
            state.slowestCall = max(state.slowestCall, duration)
        }
    }

    func recordOtherFailure(_ description: String) {
        state.withLock { $0.otherFailures.append(description) }
    }

    func markRestarted() {
        state.withLock { $0.restartedAfter = $0.succeeded }
    }
}

/// Event ids in the order a reader got them.
actor EventIDs {
    private(set) var ordered: [String] = []
    private(set) var set = Set<String>()

    private var failure: String?

    var count: Int { ordered.count }

    /// Records why the reader stopped.
    func fail(_ error: any Error) {
        if !(error is CancellationError) { failure = "\(error)" }
    }

    /// Throws when the reader stopped on an error other than an outage.
    func checkFailure(_ reader: String) throws {
        if let failure { throw PostgresTestFailure("\(reader) failed: \(failure)") }
    }

    func append(_ id: String) {
        ordered.append(id)
        set.insert(id)
    }
}
