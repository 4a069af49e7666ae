import HeraldTesting
import MetricsTestKit
import Testing

@testable import Herald

@Suite struct HandlerIsolationTests {
    struct Boom: Error {}

    @Test func aThrowingHandlerNeverAffectsAnotherSubscription() async throws {
        let metrics = TestMetrics()
        let bus = EventBus(configuration: .init(metricsFactory: metrics))
        let failing = try bus.subscribe(">", options: SubscriptionOptions(name: "failing")) { _ in throw Boom() }
        let healthy = try EventRecorder(attachedTo: bus)
        for number in 0..<20 { try await bus.publish(Event(id: "\(number)", source: "/t", type: "x")) }
        await bus.waitUntilIdle()
        #expect(healthy.events.count == 20)
        #expect(failing.statistics.failed == 20)
        #expect(failing.statistics.completed == 20)
        #expect(
            try metrics.expectCounter("herald_bus_handler_errors_total", [("subscription", "failing")]).totalValue == 20
        )
    }

    @Test(arguments: [BackpressurePolicy.dropNewest, .dropOldest, .fail])
    func aHangingHandlerUnderADroppingPolicyNeverMakesPublishersWait(_ policy: BackpressurePolicy) async throws {
        let bus = EventBus()
        let gate = Gate()
        try bus.subscribe(">", options: SubscriptionOptions(bufferCapacity: 2, backpressure: policy)) { _ in
            await gate.wait()
        }
        let healthy = try EventRecorder(attachedTo: bus)
        for number in 0..<100 {
            do {
                try await bus.publish(Event(id: "\(number)", source: "/t", type: "x"), timeout: .seconds(30))
            } catch let error as EventBusError where error.code == .bufferFull {
                #expect(policy == .fail)
            }
        }
        _ = try await healthy.waitForEvents(matching: ">", count: 100)
        gate.open()
    }

    @Test func aHangingHandlerUnderSuspendHoldsPublishersOnlyAtItsOwnBuffer() async throws {
        let bus = EventBus()
        let gate = Gate()
        let entered = EventRecorder()
        try bus.subscribe("slow.>", options: SubscriptionOptions(bufferCapacity: 3)) { event in
            entered.record(event)
            await gate.wait()
        }
        let healthy = try EventRecorder(attachedTo: bus)
        // Events for other topics never touch the slow subscription's buffer.
        for number in 0..<50 { try await bus.publish(Event(id: "f\(number)", source: "/t", type: "fast.x")) }
        try await bus.publish(Event(id: "s0", source: "/t", type: "slow.x"))
        _ = try await entered.waitForEvents(matching: ">")
        for number in 1...3 { try await bus.publish(Event(id: "s\(number)", source: "/t", type: "slow.x")) }
        await #expect(throws: EventBusError.self) {
            try await bus.publish(Event(id: "s4", source: "/t", type: "slow.x"), timeout: .milliseconds(30))
        }
        try await bus.publish(Event(id: "f50", source: "/t", type: "fast.x"), timeout: .milliseconds(30))
        _ = try await healthy.waitForEvents(matching: "fast.x", count: 51)
        gate.open()
        await bus.waitUntilIdle()
    }
}
