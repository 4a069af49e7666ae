import Foundation
import Herald
import HeraldPostgres
import HeraldTesting
import PostgresNIO
import Testing

/// Appending transactions on several nodes run at once (no lock on the whole log): what used to be ordered by
/// that lock must still hold when two of them meet.
extension MultiNodeStoreTests {
    /// Runs `body` in a transaction on `node` and keeps the transaction open, once `body` has run, until
    /// the returned release is called; `ready` answers what `body` returned while it is open.
    func holdTransaction<T: Sendable>(
        on node: PostgresEventStore,
        _ body: @escaping @Sendable (PostgresOutboxTransaction) async throws -> T
    ) async throws -> (ready: T, release: @Sendable () -> Void, ended: Task<T, any Error>) {
        let (opened, openedContinuation) = AsyncStream<T>.makeStream()
        let (released, release) = AsyncStream<Void>.makeStream()
        let ended = Task {
            try await node.transaction { tx in
                let value = try await body(tx)
                openedContinuation.yield(value)
                for await _ in released {}
                return value
            }
        }
        let ready = try await withTimeLimit(testHangLimit, "the held transaction to begin") {
            for await value in opened { return value }
            throw CancellationError()
        }
        return (ready, { release.finish() }, ended)
    }

    /// Waits until some session of the cluster waits for a lock of `type` (`transactionid`, `advisory`).
    func waitUntilASessionWaits(for type: String, observedBy node: PostgresEventStore) async throws {
        try await withTimeLimit(testHangLimit, "a session to wait for a lock of type \(type)") {
            while true {
                let rows = try await node.transaction { tx in
                    try await tx.query("SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = \(type)")
                }
                if try rows.first?.decode(Int64.self) ?? 0 > 0 { return }
                try await Task.sleep(for: .milliseconds(5))
            }
        }
    }

    /// Two nodes store one key at the same moment: the second insert waits for the first transaction and,
    /// when it commits, answers a duplicate of the first's sequence; the rest of its batch is stored.
    @Test func twoNodesStoringOneKeyAtOnceStoreItOnce() async throws {
        try await withNodes(3) { nodes in
            let key = Event(id: "k", source: "/concurrent", type: "test.item")
            let held = try await holdTransaction(on: nodes[0]) { tx in try await tx.publish(key) }
            // Ends the transaction also when the test fails before, so that the nodes can close.
            defer { held.release() }
            let appending = Task {
                try await nodes[1].append([key, Event(id: "other", source: "/concurrent", type: "test.item")])
            }
            try await waitUntilASessionWaits(for: "transactionid", observedBy: nodes[2])
            held.release()
            let first = try await held.ended.value
            let second = try await withTimeLimit(testHangLimit, "the second append") { try await appending.value }
            guard case .stored(let sequence) = first.outcome else {
                Issue.record("the first transaction did not store the key: \(first.outcome)")
                return
            }
            #expect(second.first?.outcome == .duplicate(sequence: sequence))
            let read = try await nodes[2].read(after: 0, filter: .all, limit: 10).events
            #expect(read.map(\.event.id) == ["k", "other"])
            #expect(read.first?.sequence == sequence)
        }
    }

    /// A version check waits for every transaction writing the stream: an append expecting the version it
    /// read before another node's uncommitted append to the stream fails once that one commits.
    @Test func aVersionCheckWaitsForAnotherNodesWriteToTheStream() async throws {
        try await withNodes(3) { nodes in
            let held = try await holdTransaction(on: nodes[0]) { tx in
                try await tx.publish(Event(id: "plain", source: "/concurrent", type: "test.item", subject: "s"))
            }
            defer { held.release() }
            let expecting = Task {
                try await nodes[1].append(
                    [Event(id: "expecting", source: "/concurrent", type: "test.item", subject: "s")],
                    expecting: StreamExpectation(stream: "s", version: 0)
                )
            }
            try await waitUntilASessionWaits(for: "advisory", observedBy: nodes[2])
            held.release()
            _ = try await held.ended.value
            let error = await #expect(throws: EventLogError.self) {
                try await withTimeLimit(testHangLimit, "the expecting append") { try await expecting.value }
            }
            #expect(error?.code == .versionConflict)
            #expect(try await nodes[2].streamVersion("s") == 1)
        }
    }

    /// Readers see an event only once every older transaction of the cluster has ended, so a transaction left
    /// open holds them back: the append answers after `visibilityWait`, nobody reads the event meanwhile, and
    /// it is read, not lost, as soon as the old transaction ends.
    @Test func anOpenOlderTransactionHoldsReadersBackWithoutLosingTheEvent() async throws {
        try await withNodes(2, fallbackPollInterval: .milliseconds(50), visibilityWait: .milliseconds(300)) { nodes in
            let held = try await holdTransaction(on: nodes[0]) { tx in
                try await tx.query("SELECT pg_current_xact_id()")
            }
            defer { held.release() }
            let result = try await nodes[1].append(Event(id: "late", source: "/concurrent", type: "test.item"))
            #expect(try await nodes[1].read(after: 0, filter: .all, limit: 10).events.isEmpty)
            #expect(try await nodes[1].lastSequence() == 0)
            held.release()
            _ = try await held.ended.value
            #expect(try await nodes[1].waitForEvents(after: 0, timeout: .seconds(3_600)))
            let read = try await nodes[1].read(after: 0, filter: .all, limit: 10).events
            #expect(read.map { .stored(sequence: $0.sequence) } == [result.outcome])
        }
    }
}
