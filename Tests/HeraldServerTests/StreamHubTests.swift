import Foundation
import Herald
import HeraldTesting
import Logging
import MetricsTestKit
import ServiceLifecycle
import Synchronization
import Testing

@testable import HeraldServer

/// An in-memory log that counts the reads made of it.
final class CountingEventLog: EventLog {
    let base = InMemoryEventStore()
    private let readCount = Atomic<Int>(0)

    var reads: Int { readCount.load(ordering: .relaxed) }

    func append(_ events: [Event], expecting expectation: StreamExpectation?) async throws -> [AppendResult] {
        try await base.append(events, expecting: expectation)
    }

    func read(after sequence: Int64, filter: EventFilter, limit: Int) async throws -> EventPage {
        readCount.add(1, ordering: .relaxed)
        return try await base.read(after: sequence, filter: filter, limit: limit)
    }

    func lastSequence() async throws -> Int64 { try await base.lastSequence() }

    func streamVersion(_ stream: String) async throws -> Int { try await base.streamVersion(stream) }

    func waitForEvents(after sequence: Int64, timeout: Duration) async throws -> Bool {
        try await base.waitForEvents(after: sequence, timeout: timeout)
    }

    func applyRetention(_ policies: [RetentionPolicy]) async throws -> Int {
        try await base.applyRetention(policies)
    }
}

/// Runs `hub` as a service for the length of `body`, then shuts it down gracefully.
func withRunningHub(_ hub: EventStreamHub, _ body: @escaping @Sendable () async throws -> Void) async throws {
    let group = ServiceGroup(configuration: .init(services: [hub], logger: quietLogger))
    try await withDeadline(testHangLimit, "the hub test") {
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                try await body()
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}

/// The sequences of the next `count` events of `subscription`, skipping heartbeats.
func nextSequences(_ count: Int, of subscription: inout EventStreamSubscription) async throws -> [Int64] {
    var sequences: [Int64] = []
    while sequences.count < count, let message = try await subscription.next() {
        if case .event(let event) = message { sequences.append(event.sequence) }
    }
    return sequences
}

@Suite struct StreamHubTests {
    @Test func readsEachPageOnceHoweverManyClientsFollow() async throws {
        let store = CountingEventLog()
        let hub = EventStreamHub(store: store, bufferLimit: 64, logger: quietLogger)
        try await withRunningHub(hub) {
            let clientCount = 40
            try await withThrowingTaskGroup(of: [Int64].self) { clients in
                for _ in 0..<clientCount {
                    clients.addTask {
                        var subscription = hub.subscribe(
                            topic: nil, after: 0, transport: .serverSentEvents, termination: StreamTermination())
                        defer { subscription.close() }
                        return try await nextSequences(10, of: &subscription)
                    }
                }
                try await waitUntil("every client joins the live feed") { hub.liveClientCount == clientCount }
                let readsBefore = store.reads
                _ = try await store.append(events(10))
                for try await sequences in clients {
                    #expect(sequences == Array(1...10))
                }
                // One read brings the page to everyone; the hub may read once more before it waits.
                #expect(store.reads - readsBefore <= 3)
            }
        }
    }

    @Test func aClientThatFallsBehindIsDroppedAndCountedWhileOthersGetEverything() async throws {
        let store = InMemoryEventStore()
        let metrics = TestMetrics()
        let hub = EventStreamHub(store: store, bufferLimit: 4, metricsFactory: metrics, logger: quietLogger)
        try await withRunningHub(hub) {
            let slowTermination = StreamTermination()
            let (release, releaseContinuation) = AsyncStream.makeStream(of: Void.self)
            // The slow client joins the live feed and takes one event, then reads nothing more until released.
            let first = Task {
                var slow = hub.subscribe(topic: nil, after: 0, transport: .webSocket, termination: slowTermination)
                defer { slow.close() }
                let sequences = try await nextSequences(1, of: &slow)
                for await _ in release {}
                return sequences
            }
            defer { releaseContinuation.finish() }
            try await waitUntil("the slow client joins") { hub.liveClientCount == 1 }

            let fast = Task {
                var fast = hub.subscribe(
                    topic: nil, after: 0, transport: .serverSentEvents, termination: StreamTermination())
                defer { fast.close() }
                return try await nextSequences(20, of: &fast)
            }
            for index in 0..<20 {
                _ = try await store.append(Event(id: "e-\(index)", source: "/shop", type: "orders.placed"))
            }
            #expect(try await fast.value == Array(1...20))
            try await waitUntil("the slow client is dropped") {
                metrics.counterTotal(label: "herald_stream_dropped_clients_total") == 1
            }
            #expect(slowTermination.endReason == .fellBehind)
            releaseContinuation.finish()
            #expect(try await first.value == [1])
            #expect(
                try metrics.expectCounter("herald_stream_dropped_clients_total", [("transport", "ws")]).totalValue == 1)
            #expect(
                metrics.counterTotal(label: "herald_stream_dropped_clients_total", dimensions: [("transport", "sse")])
                    == 0)
        }
    }

    @Test func catchesUpThenFollowsLiveWithoutGapOrDuplicateUnderConcurrentAppends() async throws {
        let store = InMemoryEventStore()
        let hub = EventStreamHub(store: store, bufferLimit: 4096, logger: quietLogger)
        let types = ["orders.placed", "payments.taken"]
        _ = try await store.append(events(1500, prefix: "before", types: types))
        try await withRunningHub(hub) {
            let appender = Task {
                for batch in 0..<100 {
                    _ = try await store.append(events(15, prefix: "during", types: types, from: batch * 15))
                }
            }
            try await withThrowingTaskGroup(of: [Int64].self) { clients in
                // Clients starting at different points of the backlog, all crossing into the live feed.
                for start in [0, 700, 1499] {
                    clients.addTask {
                        var subscription = hub.subscribe(
                            topic: try TopicPattern("orders.>"), after: Int64(start), transport: .serverSentEvents,
                            termination: StreamTermination())
                        defer { subscription.close() }
                        let expected = (start + 1...3000).filter { $0 % 2 == 1 }.count
                        let sequences = try await nextSequences(expected, of: &subscription)
                        #expect(sequences == (start + 1...3000).filter { $0 % 2 == 1 }.map(Int64.init))
                        return sequences
                    }
                }
                try await clients.waitForAll()
            }
            try await appender.value
        }
    }

    @Test func gracefulShutdownEndsEveryStream() async throws {
        let store = InMemoryEventStore()
        let hub = EventStreamHub(store: store, bufferLimit: 8, logger: quietLogger)
        let group = ServiceGroup(configuration: .init(services: [hub], logger: quietLogger))
        try await withDeadline(testHangLimit, "graceful shutdown of the hub") {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let termination = StreamTermination()
                let client = Task {
                    var subscription = hub.subscribe(
                        topic: nil, after: 0, transport: .serverSentEvents, termination: termination)
                    defer { subscription.close() }
                    return try await subscription.next() == nil
                }
                try await waitUntil("the client joins") { hub.liveClientCount == 1 }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                #expect(try await client.value)
                #expect(termination.endReason == .serverShutdown)
            }
        }
    }

    @Test func countsConnectedClientsByTransport() async throws {
        let metrics = TestMetrics()
        let hub = EventStreamHub(
            store: InMemoryEventStore(), bufferLimit: 8, metricsFactory: metrics, logger: quietLogger)
        let first = hub.subscribe(topic: nil, after: 0, transport: .serverSentEvents, termination: StreamTermination())
        let second = hub.subscribe(topic: nil, after: 0, transport: .serverSentEvents, termination: StreamTermination())
        let third = hub.subscribe(topic: nil, after: 0, transport: .webSocket, termination: StreamTermination())
        let sse = try metrics.expectMeter("herald_stream_clients", [("transport", "sse")])
        let ws = try metrics.expectMeter("herald_stream_clients", [("transport", "ws")])
        #expect(sse.lastValue == 2)
        #expect(ws.lastValue == 1)
        first.close()
        third.close()
        #expect(sse.lastValue == 1)
        #expect(ws.lastValue == 0)
        second.close()
        #expect(sse.lastValue == 0)
    }

    @Test func aTerminationCancelsWritesThatAreStuck() async throws {
        let termination = StreamTermination()
        let outcome = try await withDeadline(testHangLimit, "the stuck write is cancelled") {
            let writer = Task { () async throws -> StreamEndReason? in
                do {
                    try await termination.cancelling {
                        // A write that never completes, as to a client that stopped reading.
                        try await Task.sleep(for: .seconds(3600))
                    }
                    return nil
                } catch let ended as StreamEnded {
                    return ended.reason
                }
            }
            termination.end(.fellBehind)
            termination.end(.serverShutdown)
            return try await writer.value
        }
        #expect(outcome == .fellBehind)
    }
}
