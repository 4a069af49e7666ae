import Foundation
import HeraldTesting
import MetricsTestKit
import Synchronization
import Testing

@testable import Herald

@Suite struct EventBusTests {
    let bus = EventBus()

    func event(_ type: String, _ subject: String? = nil) -> Event {
        Event(source: "/test", type: type, subject: subject)
    }

    @Test func deliversEachEventToEverySubscriptionWhosePatternMatches() async throws {
        let everything = try EventRecorder(attachedTo: bus, pattern: ">")
        let placed = try EventRecorder(attachedTo: bus, pattern: "orders.placed")
        let orders = try EventRecorder(attachedTo: bus, pattern: "orders.*")
        for type in ["orders.placed", "orders.shipped", "sensors.read"] { try await bus.publish(event(type)) }
        await bus.waitUntilIdle()
        #expect(everything.events.map(\.type) == ["orders.placed", "orders.shipped", "sensors.read"])
        #expect(placed.events.map(\.type) == ["orders.placed"])
        #expect(orders.events.map(\.type) == ["orders.placed", "orders.shipped"])
    }

    @Test func deliversAttributesExtensionsAndDataIntact() async throws {
        let recorder = try EventRecorder(attachedTo: bus)
        var original = Event(
            id: "e-1", source: "/shop", type: "orders.placed", subject: "order-1",
            dataContentType: "application/json", data: Data(#"{"total":12}"#.utf8))
        original.partitionKey = "order-1"
        original.extensions["tenant"] = "acme"
        try await bus.publish(original)
        let received = try await recorder.waitForEvents(matching: ">")
        #expect(received == [original])
    }

    @Test func cancelledSubscriptionReceivesNothingMore() async throws {
        let counter = CallCounter()
        let subscription = try bus.subscribe("orders.>") { _ in counter.add() }
        try await bus.publish(event("orders.placed"))
        await bus.waitUntilIdle()
        subscription.cancel()
        subscription.cancel()
        try await bus.publish(event("orders.placed"))
        await bus.waitUntilIdle()
        #expect(counter.value == 1)
        #expect(bus.subscriptionCount == 0)
    }

    @Test func countsObserversOfATopicAndRemovesThemByPatternOrAll() throws {
        try bus.subscribe("orders.placed") { _ in }
        try bus.subscribe("orders.placed") { _ in }
        try bus.subscribe("orders.*") { _ in }
        try bus.subscribe("sensors.>") { _ in }
        #expect(bus.subscriberCount(matching: "orders.placed") == 3)
        #expect(bus.subscriberCount(matching: "sensors.temp.read") == 1)
        #expect(bus.subscriberCount(matching: "users.created") == 0)
        #expect(bus.removeSubscriptions(pattern: "orders.placed") == 2)
        #expect(bus.subscriberCount(matching: "orders.placed") == 1)
        bus.removeAllSubscribers()
        #expect(bus.subscriptionCount == 0)
        #expect(bus.subscriberCount(matching: "sensors.x") == 0)
    }

    @Test func rejectsAnInvalidPatternWithTheReason() {
        #expect(throws: TopicPatternError.self) { try bus.subscribe("orders..x") { _ in } }
        #expect(throws: TopicPatternError.self) { try bus.subscribe("a.>.b") { _ in } }
        #expect(throws: TopicPatternError.self) { try bus.subscribe("") { _ in } }
    }

    @Test func rejectsOptionsOutOfRange() {
        #expect(throws: EventBusError.self) {
            try bus.subscribe(">", options: SubscriptionOptions(bufferCapacity: 0)) { _ in }
        }
        #expect(throws: EventBusError.self) {
            try bus.subscribe(">", options: SubscriptionOptions(concurrency: 0)) { _ in }
        }
    }

    @Test func rejectsAnInvalidEventAndDeliversNothing() async throws {
        let recorder = try EventRecorder(attachedTo: bus)
        await #expect(throws: EventValidationError.self) {
            try await bus.publish(Event(id: "", source: "/test", type: "orders.placed"))
        }
        let bad = Event(source: "/test", type: "orders.placed", extensions: ["Bad-Name": "x"])
        await #expect(throws: EventBatchError.self) {
            try await bus.publish([event("orders.placed"), bad])
        }
        await bus.waitUntilIdle()
        #expect(recorder.events.isEmpty)
    }

    @Test func publishesABatchInOrder() async throws {
        let recorder = try EventRecorder(attachedTo: bus)
        let batch = (0..<50).map { event("orders.placed", "order-\($0)") }
        try await bus.publish(batch)
        let received = try await recorder.waitForEvents(matching: ">", count: 50)
        #expect(received.map(\.subject) == batch.map(\.subject))
    }

    @Test func streamsMatchingEventsAsAnAsyncSequence() async throws {
        let stream = try bus.events(matching: "orders.>")
        try await bus.publish(event("orders.placed", "1"))
        try await bus.publish(event("sensors.read"))
        try await bus.publish(event("orders.shipped", "2"))
        var received: [String?] = []
        for try await event in stream {
            received.append(event.subject)
            if received.count == 2 { break }
        }
        #expect(received == ["1", "2"])
    }

    @Test func streamEndsWhenItsIteratorIsDropped() async throws {
        do {
            let stream = try bus.events(matching: ">")
            var iterator = stream.makeAsyncIterator()
            try await bus.publish(event("a"))
            _ = try await iterator.next()
            #expect(bus.subscriptionCount == 1)
        }
        #expect(bus.subscriptionCount == 0)
    }

    @Test func streamThrowsCancellationWhenItsTaskIsCancelled() async throws {
        let stream = try bus.events(matching: ">")
        let started = Gate()
        let task = Task {
            started.open()
            for try await _ in stream {}
        }
        await started.wait()
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
    }

    struct OrderPlaced: EventPayload, Equatable {
        static let eventType = "orders.placed"
        var orderID: String
        var total: Int
    }

    @Test func typedSubscribersReceiveTheirPayloadAndSkipUndecodableEvents() async throws {
        let metrics = TestMetrics()
        let bus = EventBus(configuration: .init(metricsFactory: metrics))
        let received = Mutex<[OrderPlaced]>([])
        let subscription = try bus.subscribe(to: OrderPlaced.self, options: SubscriptionOptions(name: "typed")) {
            payload, _ in
            received.withLock { $0.append(payload) }
        }
        try await bus.publish(OrderPlaced(orderID: "o-1", total: 12), source: "/shop")
        try await bus.publish(
            Event(
                source: "/shop", type: "orders.placed", dataContentType: "application/json",
                data: Data(#"{"orderID":1}"#.utf8)))
        try await bus.publish(OrderPlaced(orderID: "o-2", total: 3), source: "/shop")
        await bus.waitUntilIdle()
        #expect(
            received.withLock { $0 } == [OrderPlaced(orderID: "o-1", total: 12), OrderPlaced(orderID: "o-2", total: 3)])
        #expect(subscription.statistics.failed == 1)
        #expect(
            try metrics.expectCounter("herald_bus_handler_errors_total", [("subscription", "typed")]).totalValue == 1)
    }

    @Test func waitUntilIdleCoversEventsCausedWhileWaiting() async throws {
        let recorder = try EventRecorder(attachedTo: bus, pattern: "step.three")
        try bus.subscribe("step.one") { [bus] _ in try await bus.publish(Event(source: "/t", type: "step.two")) }
        try bus.subscribe("step.two") { [bus] _ in try await bus.publish(Event(source: "/t", type: "step.three")) }
        try await bus.publish(event("step.one"))
        await bus.waitUntilIdle()
        #expect(recorder.events.count == 1)
    }
}

/// A thread-safe counter for handlers under test.
final class CallCounter: Sendable {
    private let count = Atomic(0)
    func add() { count.add(1, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}
