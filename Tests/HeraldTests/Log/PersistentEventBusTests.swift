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

    @Test func aFailedAcknowledgementIsTriedAgainSoHandledEventsAreNotRedelivered() async throws {
        let flaky = FaultyStore(failingAcks: 1)
        let bus = PersistentEventBus(store: flaky)
        let handled = EventRecorder()
        let options = PersistentSubscriptionOptions(retryDelay: .milliseconds(1))
        try await bus.subscribe("orders.>", name: "billing", options: options) { handled.record($0) }
        try await bus.publish(event(1))
        _ = try await handled.waitForEvents(matching: ">")
        let acknowledged = try await eventually {
            try await flaky.base.groupInfo(named: "billing")?.lag == 0
        }
        await bus.shutdown()
        #expect(acknowledged)
        #expect(flaky.ackCalls.withLock { $0 } == 2)
        #expect(handled.events.count == 1)
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

/// Waits until `condition` holds or `timeout` passes; returns whether it holds.
private func eventually(
    within timeout: Duration = .seconds(15),
    _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(2))
    }
    return try await condition()
}

/// An in-memory store whose `ack` and `nack` can be made to fail, to test how subscriptions cope.
private final class FaultyStore: EventLog, ConsumerGroupStore {
    struct InjectedFailure: Error {}
    let base = InMemoryEventStore()
    /// How many `ack` calls fail before they start to succeed.
    let failingAcks: Int
    /// Whether every `nack` fails.
    let nacksFail: Bool
    let ackCalls = Mutex(0)

    init(failingAcks: Int = 0, nacksFail: Bool = false) {
        self.failingAcks = failingAcks
        self.nacksFail = nacksFail
    }

    func append(_ events: [Event], expecting expectation: StreamExpectation?) async throws -> [AppendResult] {
        try await base.append(events, expecting: expectation)
    }
    func read(after sequence: Int64, filter: EventFilter, limit: Int) async throws -> EventPage {
        try await base.read(after: sequence, filter: filter, limit: limit)
    }
    func lastSequence() async throws -> Int64 { try await base.lastSequence() }
    func streamVersion(_ stream: String) async throws -> Int { try await base.streamVersion(stream) }
    func waitForEvents(after sequence: Int64, timeout: Duration) async throws -> Bool {
        try await base.waitForEvents(after: sequence, timeout: timeout)
    }
    func applyRetention(_ policies: [RetentionPolicy]) async throws -> Int { try await base.applyRetention(policies) }
    func createGroup(_ configuration: ConsumerGroupConfiguration) async throws -> Bool {
        try await base.createGroup(configuration)
    }
    func deleteGroup(named name: String) async throws -> Bool { try await base.deleteGroup(named: name) }
    func groupInfo(named name: String) async throws -> ConsumerGroupInfo? { try await base.groupInfo(named: name) }
    func groups() async throws -> [ConsumerGroupInfo] { try await base.groups() }
    func poll(group: String, max: Int, wait: Duration) async throws -> [Delivery] {
        try await base.poll(group: group, max: max, wait: wait)
    }
    func ack(group: String, deliveryIDs: [String]) async throws -> Int {
        let call = ackCalls.withLock { calls in
            calls += 1
            return calls
        }
        if call <= failingAcks { throw InjectedFailure() }
        return try await base.ack(group: group, deliveryIDs: deliveryIDs)
    }
    func nack(group: String, deliveryIDs: [String], delay: Duration, error: String?) async throws -> Int {
        if nacksFail { throw InjectedFailure() }
        return try await base.nack(group: group, deliveryIDs: deliveryIDs, delay: delay, error: error)
    }
    func deadLetters(group: String, limit: Int) async throws -> [DeadLetteredEvent] {
        try await base.deadLetters(group: group, limit: limit)
    }
    func seek(group: String, to position: ConsumerGroupConfiguration.StartPosition) async throws -> Int64 {
        try await base.seek(group: group, to: position)
    }

    func requeueDeadLetters(group: String, sequences: [Int64]?) async throws -> Int {
        try await base.requeueDeadLetters(group: group, sequences: sequences)
    }
}

@Suite struct PersistentSubscriptionShutdownTests {
    /// Stopping while the handler holds an event must not cancel the handler: the event it is handling
    /// is acknowledged, not failed (which would burn an attempt, here the only one).
    @Test func stoppingDoesNotCancelTheHandlerOfTheEventInFlight() async throws {
        let store = InMemoryEventStore()
        let bus = PersistentEventBus(store: store)
        let entered = Gate()
        let release = Gate()
        let sawCancellation = Mutex(false)
        let options = PersistentSubscriptionOptions(maxAttempts: 1, retryDelay: .milliseconds(5))
        let subscription = try await bus.subscribe("orders.>", name: "billing", options: options) { _ in
            entered.open()
            await withTaskCancellationHandler {
                await release.wait()
            } onCancel: {
                sawCancellation.withLock { $0 = true }
                release.open()
            }
            try Task.checkCancellation()
        }
        try await bus.publish(Event(id: "e-1", source: "/shop", type: "orders.placed"))
        await entered.wait()
        let stopping = Task { await subscription.stop() }
        // A cancelled handler would be let through at once; give it the chance before releasing it.
        _ = await eventually(within: .milliseconds(500)) { sawCancellation.withLock { $0 } }
        release.open()
        await stopping.value
        #expect(!sawCancellation.withLock { $0 })
        #expect(try await store.deadLetters(group: "billing", limit: 10).isEmpty)
        let info = try #require(try await store.groupInfo(named: "billing"))
        #expect(info.lag == 0)
        #expect(info.inFlight == 0)
    }

    /// A failing `nack` of one event must not keep the events handled before it in the batch from being
    /// acknowledged.
    @Test func aFailedNackDoesNotDropTheAcksOfTheBatch() async throws {
        let store = FaultyStore(nacksFail: true)
        let bus = PersistentEventBus(store: store)
        struct Declined: Error {}
        try await bus.publish([
            Event(id: "e-1", source: "/shop", type: "orders.placed"),
            Event(id: "e-2", source: "/shop", type: "orders.placed"),
        ])
        let options = PersistentSubscriptionOptions(retryDelay: .milliseconds(5), batchSize: 10)
        try await bus.subscribe("orders.>", name: "billing", options: options) { event in
            if event.id == "e-2" { throw Declined() }
        }
        // e-1 acknowledged; e-2 still leased (its nack failed).
        let acknowledged = try await eventually {
            let info = try await store.groupInfo(named: "billing")
            return info?.inFlight == 1
        }
        await bus.shutdown()
        #expect(acknowledged)
    }
}
