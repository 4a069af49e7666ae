import HeraldTesting
import MetricsTestKit
import Synchronization
import Testing

@testable import Herald

/// Each policy with a handler held at a gate: the first event is being handled, `capacity` more fill the
/// buffer, and the policy decides what happens to the rest.
@Suite struct BackpressureTests {
    let metrics = TestMetrics()
    let bus: EventBus
    let gate = Gate()
    let entered = EventRecorder()
    let handled = EventRecorder()

    init() {
        bus = EventBus(configuration: .init(metricsFactory: metrics))
    }

    func event(_ number: Int) -> Event {
        Event(id: "e-\(number)", source: "/test", type: "work.item")
    }

    /// Subscribes a handler that waits at the gate, publishes event 0 and waits until it is being handled.
    func subscribeBlocked(_ policy: BackpressurePolicy, capacity: Int = 4) async throws -> Subscription {
        let subscription = try bus.subscribe(
            "work.item",
            options: SubscriptionOptions(name: "slow", bufferCapacity: capacity, backpressure: policy)
        ) { [gate, entered, handled] event in
            entered.record(event)
            await gate.wait()
            handled.record(event)
        }
        try await bus.publish(event(0))
        _ = try await entered.waitForEvents(matching: ">")
        return subscription
    }

    @Test func suspendMakesThePublisherWaitOnlyOnceTheBufferIsFull() async throws {
        _ = try await subscribeBlocked(.suspend)
        for number in 1...4 { try await bus.publish(event(number), timeout: .milliseconds(50)) }
        let error = await #expect(throws: EventBusError.self) {
            try await bus.publish(event(5), timeout: .milliseconds(50))
        }
        #expect(error?.code == .publishTimedOut)
        #expect(error?.subscriptions == ["slow"])

        let waitingPublisher = Task { try await bus.publish(event(6)) }
        gate.open()
        try await waitingPublisher.value
        await bus.waitUntilIdle()
        #expect(handled.events.map(\.id) == ["e-0", "e-1", "e-2", "e-3", "e-4", "e-6"])
    }

    @Test func suspendedPublisherGivesUpWhenCancelled() async throws {
        _ = try await subscribeBlocked(.suspend, capacity: 1)
        try await bus.publish(event(1))
        let publisher = Task { try await bus.publish(event(2)) }
        publisher.cancel()
        await #expect(throws: CancellationError.self) { try await publisher.value }
        gate.open()
        await bus.waitUntilIdle()
        #expect(handled.events.map(\.id) == ["e-0", "e-1"])
    }

    @Test func dropNewestDropsArrivalsAndCountsThem() async throws {
        let subscription = try await subscribeBlocked(.dropNewest)
        for number in 1...7 { try await bus.publish(event(number)) }
        gate.open()
        await bus.waitUntilIdle()
        #expect(handled.events.map(\.id) == ["e-0", "e-1", "e-2", "e-3", "e-4"])
        #expect(subscription.statistics.dropped == 3)
        #expect(
            try metrics.expectCounter("herald_bus_dropped_events_total", [("subscription", "slow")]).totalValue == 3)
    }

    @Test func dropOldestKeepsTheNewestAndCountsTheDrops() async throws {
        let subscription = try await subscribeBlocked(.dropOldest)
        for number in 1...7 { try await bus.publish(event(number)) }
        gate.open()
        await bus.waitUntilIdle()
        #expect(handled.events.map(\.id) == ["e-0", "e-4", "e-5", "e-6", "e-7"])
        #expect(subscription.statistics.dropped == 3)
        #expect(
            try metrics.expectCounter("herald_bus_dropped_events_total", [("subscription", "slow")]).totalValue == 3)
    }

    @Test func failThrowsNamingTheSubscriptionWhileOthersStillReceive() async throws {
        let other = try EventRecorder(attachedTo: bus, pattern: "work.>")
        _ = try await subscribeBlocked(.fail, capacity: 2)
        try await bus.publish(event(1))
        try await bus.publish(event(2))
        let error = await #expect(throws: EventBusError.self) { try await bus.publish(event(3)) }
        #expect(error?.code == .bufferFull)
        #expect(error?.subscriptions == ["slow"])
        #expect(error?.description.contains("slow") == true)
        _ = try await other.waitForEvents(matching: ">", count: 4)
        gate.open()
        await bus.waitUntilIdle()
        #expect(handled.events.map(\.id) == ["e-0", "e-1", "e-2"])
    }

    @Test func publishTimeoutFromTheConfigurationApplies() async throws {
        let bus = EventBus(configuration: .init(publishTimeout: .milliseconds(20)))
        let gate = Gate()
        try bus.subscribe(">", options: SubscriptionOptions(bufferCapacity: 1)) { _ in await gate.wait() }
        await #expect(throws: EventBusError.self) {
            for number in 0..<4 { try await bus.publish(event(number)) }
        }
        gate.open()
    }
}
