import HeraldTesting
import Synchronization
import Testing

@testable import Herald

@Suite struct OrderingTests {
    /// Records, per key, the order events were handled in, and how many handler calls ran at once.
    final class Tracker: Sendable {
        private let state = Mutex<
            (order: [String: [Int]], running: Set<String>, active: Int, peak: Int, overlap: Bool)
        >(
            ([:], [], 0, 0, false))

        func begin(key: String, sequence: Int) {
            state.withLock { state in
                if state.running.contains(key) { state.overlap = true }
                state.running.insert(key)
                state.order[key, default: []].append(sequence)
                state.active += 1
                state.peak = max(state.peak, state.active)
            }
        }

        func end(key: String) {
            state.withLock { state in
                state.running.remove(key)
                state.active -= 1
            }
        }

        var order: [String: [Int]] { state.withLock { $0.order } }
        var peak: Int { state.withLock { $0.peak } }
        var sameKeyOverlapped: Bool { state.withLock { $0.overlap } }
    }

    @Test func deliversSameKeyInPublishOrderUnderConcurrency() async throws {
        let bus = EventBus()
        let tracker = Tracker()
        try bus.subscribe("work.>", options: SubscriptionOptions(bufferCapacity: 64, concurrency: 4)) { event in
            let key = event.partitionKey!
            tracker.begin(key: key, sequence: Int(event.subject!)!)
            // Yield a few times so calls really interleave across the four slots.
            for _ in 0..<3 { await Task.yield() }
            tracker.end(key: key)
        }
        let keys = (0..<8).map { "key-\($0)" }
        var sequence = 0
        for round in 0..<100 {
            for key in keys.shuffled() where (round + key.count) % 3 != 0 || key == keys[0] {
                var event = Event(source: "/t", type: "work.item", subject: String(sequence))
                event.partitionKey = key
                try await bus.publish(event)
                sequence += 1
            }
        }
        await bus.waitUntilIdle()
        #expect(!tracker.sameKeyOverlapped)
        for (_, order) in tracker.order { #expect(order == order.sorted()) }
        #expect(tracker.order.values.reduce(0) { $0 + $1.count } == sequence)
    }

    @Test func runsDifferentKeysConcurrently() async throws {
        let bus = EventBus()
        let tracker = Tracker()
        let gate = Gate()
        let entered = EventRecorder()
        try bus.subscribe("work.>", options: SubscriptionOptions(concurrency: 3)) { event in
            tracker.begin(key: event.partitionKey!, sequence: 0)
            entered.record(event)
            await gate.wait()
            tracker.end(key: event.partitionKey!)
        }
        for key in ["a", "b", "c", "a"] {
            var event = Event(source: "/t", type: "work.item")
            event.partitionKey = key
            try await bus.publish(event)
        }
        _ = try await entered.waitForEvents(matching: ">", count: 3)
        #expect(tracker.peak == 3)
        #expect(Set(entered.events.map(\.partitionKey)) == ["a", "b", "c"])
        gate.open()
        await bus.waitUntilIdle()
        #expect(entered.events.count == 4)
        #expect(!tracker.sameKeyOverlapped)
    }

    @Test func unkeyedEventsAlsoShareTheConcurrency() async throws {
        let bus = EventBus()
        let gate = Gate()
        let entered = EventRecorder()
        try bus.subscribe(">", options: SubscriptionOptions(concurrency: 2)) { event in
            entered.record(event)
            await gate.wait()
        }
        try await bus.publish(Event(source: "/t", type: "a"))
        try await bus.publish(Event(source: "/t", type: "b"))
        _ = try await entered.waitForEvents(matching: ">", count: 2)
        gate.open()
        await bus.waitUntilIdle()
    }

    @Test func deliversEverythingInPublishOrderWithConcurrencyOne() async throws {
        let bus = EventBus()
        let recorder = try EventRecorder(attachedTo: bus)
        for number in 0..<1_000 {
            var event = Event(source: "/t", type: "x", subject: String(number))
            event.partitionKey = "k\(number % 7)"
            try await bus.publish(event)
        }
        let received = try await recorder.waitForEvents(matching: ">", count: 1_000)
        #expect(received.map { Int($0.subject!)! } == Array(0..<1_000))
    }

    @Test func concurrentPublishersLoseNothing() async throws {
        let bus = EventBus()
        let recorder = try EventRecorder(attachedTo: bus)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for publisher in 0..<4 {
                group.addTask {
                    for number in 0..<250 {
                        try await bus.publish(Event(id: "\(publisher)-\(number)", source: "/t", type: "x"))
                    }
                }
            }
            try await group.waitForAll()
        }
        let received = try await recorder.waitForEvents(matching: ">", count: 1_000)
        #expect(Set(received.map(\.id)).count == 1_000)
        for publisher in 0..<4 {
            let mine = received.filter { $0.id.hasPrefix("\(publisher)-") }.map { Int($0.id.split(separator: "-")[1])! }
            #expect(mine == Array(0..<250))
        }
    }
}
