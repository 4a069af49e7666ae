import HeraldTesting
import Synchronization
import Testing

@testable import Herald

@Suite struct PersistentEventBusTests {
    let store = InMemoryEventStore()

    func event(_ number: Int, type: String = "orders.placed") -> Event {
        Event(id: "e-\(number)", source: "/shop", type: type)
    }

    @Test func publishStoresTheEventBeforeReturning() async throws {
        let bus = PersistentEventBus(store: store)
        try await bus.publish(event(1))
        try await bus.publish([event(2), event(3)])
        let page = try await store.read(after: 0, filter: .all, limit: 10)
        #expect(page.events.map(\.event.id) == ["e-1", "e-2", "e-3"])
    }

    @Test func subscriptionReceivesMatchingEventsAndAcknowledgesThem() async throws {
        let bus = PersistentEventBus(store: store)
        let received = EventRecorder()
        try await bus.subscribe("orders.>", name: "billing") { received.record($0) }
        for number in 1...5 { try await bus.publish(event(number)) }
        try await bus.publish(event(6, type: "users.created"))
        let events = try await received.waitForEvents(matching: ">", count: 5)
        #expect(events.map(\.id) == ["e-1", "e-2", "e-3", "e-4", "e-5"])
        await bus.shutdown()
        let info = try #require(try await store.groupInfo(named: "billing"))
        #expect(info.lag == 0)
        #expect(info.inFlight == 0)
    }

    @Test func resumesAfterARestartWithoutRedeliveringWhatWasHandled() async throws {
        let first = PersistentEventBus(store: store)
        let before = EventRecorder()
        try await first.subscribe("orders.>", name: "billing") { before.record($0) }
        for number in 1...3 { try await first.publish(event(number)) }
        _ = try await before.waitForEvents(matching: ">", count: 3)
        await first.shutdown()

        // Published while no subscriber runs: the group keeps its place in the log.
        for number in 4...6 { try await first.publish(event(number)) }

        let second = PersistentEventBus(store: store)
        let after = EventRecorder()
        try await second.subscribe("orders.>", name: "billing") { after.record($0) }
        let caughtUp = try await after.waitForEvents(matching: ">", count: 3)
        #expect(caughtUp.map(\.id) == ["e-4", "e-5", "e-6"])
        await second.shutdown()
        #expect(after.events.count == 3)
    }

    @Test func aFailingHandlerIsRetriedThenDeadLettered() async throws {
        struct Declined: Error {}
        let bus = PersistentEventBus(store: store)
        let attempts = EventRecorder()
        let options = PersistentSubscriptionOptions(maxAttempts: 3, retryDelay: .milliseconds(5))
        try await bus.subscribe("orders.>", name: "payments", options: options) { event in
            attempts.record(event)
            throw Declined()
        }
        try await bus.publish(event(1))
        _ = try await attempts.waitForEvents(matching: ">", count: 3)
        await bus.shutdown()
        let letters = try await store.deadLetters(group: "payments", limit: 10)
        #expect(letters.map(\.stored.event.id) == ["e-1"])
        #expect(letters.first?.attempts == 3)
        #expect(letters.first?.lastError?.contains("Declined") == true)
    }

    @Test func refusesASecondRunningSubscriptionWithTheSameName() async throws {
        let bus = PersistentEventBus(store: store)
        try await bus.subscribe("orders.>", name: "billing") { _ in }
        await #expect(throws: EventLogError.self) {
            try await bus.subscribe("orders.>", name: "billing") { _ in }
        }
        await #expect(throws: EventLogError.self) {
            try await bus.subscribe("users.>", name: "billing") { _ in }
        }
        await bus.shutdown()
    }
}
