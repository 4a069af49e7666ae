import Foundation
import Herald
import HeraldTesting
import Logging
import Synchronization
import Testing

/// A small order process for the runner's tests: an order waits for payment with a timeout, ships when paid,
/// and is cancelled when payment fails or times out.
private struct TestOrderProcess: ProcessManager {
    struct State: Codable, Sendable, Equatable {
        var status = "awaiting-payment"
        var events: [String] = []
    }
    struct PaymentRequested: EventPayload {
        static let eventType = "test.payment.requested"
        var order: String
    }
    struct PaymentTimedOut: EventPayload {
        static let eventType = "test.order.payment-timeout"
        var order: String
    }
    struct OrderClosed: EventPayload {
        static let eventType = "test.order.closed"
        var order: String
        var status: String
    }
    struct StrayTimeout: EventPayload {
        static let eventType = "elsewhere.timeout"
    }

    let name = "test-order"
    let topic = "test.>"
    var paymentTimeout: Duration = .seconds(30)

    func correlationKey(of event: Event) -> String? {
        // Not its own output: the payment request and the closing event are for other consumers.
        [PaymentRequested.eventType, OrderClosed.eventType].contains(event.type) ? nil : event.subject
    }

    func start(with event: Event) throws -> State? {
        event.type == "test.order.submitted" ? State() : nil
    }

    func handle(_ event: Event, state: inout State, actions: inout ProcessActions) throws {
        state.events.append(event.type)
        switch event.type {
        case "test.order.submitted":
            try actions.publish(PaymentRequested(order: actions.key))
            try actions.requestTimeout("payment", after: paymentTimeout, PaymentTimedOut(order: actions.key))
        case "test.payment.succeeded":
            actions.cancelTimeout("payment")
            state.status = "shipped"
            try actions.publish(OrderClosed(order: actions.key, status: state.status))
            actions.finish()
        case "test.payment.failed", "test.order.payment-timeout":
            actions.cancelTimeout("payment")
            state.status = "cancelled"
            try actions.publish(OrderClosed(order: actions.key, status: state.status))
            actions.finish()
        case "test.payment.explode":
            throw ProcessManagerError("the payment provider answered nonsense")
        case "test.payment.stray-timeout":
            try actions.requestTimeout("stray", after: .seconds(1), StrayTimeout())
        default:
            break
        }
    }
}

@Suite struct ProcessManagerRunnerTests {
    static let epoch = Date(timeIntervalSince1970: 1_767_225_600)

    private struct Harness {
        let clock = TestClock()
        let store: InMemoryEventStore
        let runner: ProcessManagerRunner<TestOrderProcess>

        static let configuration = ProcessManagerRunnerTests.configuration {
            $0.batchSize = 100
            $0.retryDelay = .seconds(1)
        }

        static let quietLogger: Logger = {
            var logger = Logger(label: "herald.test.process")
            logger.logLevel = .critical
            return logger
        }()

        init(process: TestOrderProcess = TestOrderProcess()) {
            let wallClock = clock.wallClock(epoch: ProcessManagerRunnerTests.epoch)
            store = InMemoryEventStore(clock: wallClock)
            runner = ProcessManagerRunner(
                process, groups: store, processes: store, clock: wallClock,
                configuration: Self.configuration, logger: Self.quietLogger)
        }

        func publish(_ type: String, order: String, id: String? = nil) async throws {
            _ = try await store.append(
                Event(id: id ?? "\(type)-\(order)", source: "/test", type: type, subject: order))
        }

        /// Polls until nothing is left to handle now.
        func drain() async throws {
            while try await runner.runOnce() > 0 {}
        }

        func state(_ order: String) async throws -> (TestOrderProcess.State, ProcessRecord)? {
            guard let record = try await store.processRecord("test-order", key: order) else { return nil }
            struct Document: Decodable { var state: TestOrderProcess.State }
            return (try JSONDecoder().decode(Document.self, from: record.document).state, record)
        }

        func closed() async throws -> [String: [String]] {
            let page = try await store.read(
                after: 0, filter: EventFilter(topic: try TopicPattern("test.order.closed")), limit: 1_000)
            return Dictionary(grouping: page.events.map(\.event)) { $0.subject ?? "" }
                .mapValues { $0.map { (try? $0.decode(TestOrderProcess.OrderClosed.self).status) ?? "?" } }
        }
    }

    @Test func anOrderIsPaidAndShippedAndItsTimeoutIsIgnoredWhenItComes() async throws {
        let harness = Harness()
        try await harness.runner.createGroup()
        try await harness.publish("test.order.submitted", order: "o-1")
        try await harness.drain()
        let requested = try await harness.store.read(
            after: 0, filter: EventFilter(topic: try TopicPattern("test.payment.requested")), limit: 10
        ).events.map(\.event)
        #expect(requested.count == 1)
        #expect(requested.first?.subject == "o-1")
        #expect(requested.first?.causationID == "test.order.submitted-o-1")
        #expect(requested.first?.source == "/herald/process/test-order")

        try await harness.publish("test.payment.succeeded", order: "o-1")
        try await harness.drain()
        // The cancelled timeout still comes due; it changes nothing.
        harness.clock.advance(by: .seconds(31))
        try await harness.drain()
        let (state, record) = try #require(try await harness.state("o-1"))
        #expect(state.status == "shipped")
        #expect(state.events == ["test.order.submitted", "test.payment.succeeded"])
        #expect(record.isFinished)
        #expect(try await harness.closed() == ["o-1": ["shipped"]])
    }

    @Test func anUnpaidOrderIsCancelledByItsTimeoutAndALatePaymentIsIgnored() async throws {
        let harness = Harness()
        try await harness.runner.createGroup()
        try await harness.publish("test.order.submitted", order: "o-2")
        try await harness.drain()
        harness.clock.advance(by: .seconds(29))
        try await harness.drain()
        #expect(try await harness.state("o-2")?.0.status == "awaiting-payment")
        harness.clock.advance(by: .seconds(2))
        try await harness.drain()
        #expect(try await harness.state("o-2")?.0.status == "cancelled")
        try await harness.publish("test.payment.succeeded", order: "o-2")
        try await harness.drain()
        let (state, _) = try #require(try await harness.state("o-2"))
        #expect(state.events == ["test.order.submitted", "test.order.payment-timeout"])
        #expect(try await harness.closed() == ["o-2": ["cancelled"]])
    }

    @Test func aRedeliveredEventChangesNothingAndARepeatedStepPublishesOnce() async throws {
        let harness = Harness()
        try await harness.runner.createGroup()
        try await harness.publish("test.order.submitted", order: "o-3")
        // A step that saved but whose acknowledgement was lost: handle without acknowledging, then let the
        // lease run out so the event comes again.
        let first = try await harness.store.poll(group: harness.runner.groupName, max: 10, wait: .zero)
        #expect(try await harness.runner.handle(try #require(first.first)) == .handled)
        harness.clock.advance(by: .seconds(31))
        let again = try await harness.store.poll(group: harness.runner.groupName, max: 10, wait: .zero)
        #expect(again.first?.attempt == 2)
        #expect(try await harness.runner.handle(try #require(again.first)) == .duplicate)
        #expect(try await harness.state("o-3")?.1.version == 1)
        let requested = try await harness.store.read(
            after: 0, filter: EventFilter(topic: try TopicPattern("test.payment.requested")), limit: 10
        ).events
        #expect(requested.count == 1)
    }

    @Test func eventsOfUnknownInstancesAreIgnoredAndFinishedInstancesStayFinished() async throws {
        let harness = Harness()
        try await harness.runner.createGroup()
        try await harness.publish("test.payment.succeeded", order: "never-submitted")
        try await harness.publish("test.unrelated", order: "o-4")
        try await harness.drain()
        #expect(try await harness.state("never-submitted") == nil)
        try await harness.publish("test.order.submitted", order: "o-4")
        try await harness.publish("test.payment.failed", order: "o-4")
        try await harness.publish("test.payment.succeeded", order: "o-4")
        try await harness.drain()
        #expect(try await harness.state("o-4")?.0.events == ["test.order.submitted", "test.payment.failed"])
        #expect(try await harness.closed() == ["o-4": ["cancelled"]])
    }

    @Test func aFailingStepIsRetriedThenDeadLetteredWhileOtherInstancesGoOn() async throws {
        let harness = Harness()
        try await harness.runner.createGroup()
        try await harness.publish("test.order.submitted", order: "bad")
        try await harness.publish("test.order.submitted", order: "good")
        try await harness.drain()
        try await harness.publish("test.payment.explode", order: "bad")
        try await harness.publish("test.payment.succeeded", order: "good")
        for _ in 0..<5 {
            try await harness.drain()
            harness.clock.advance(by: .seconds(1))
        }
        #expect(try await harness.state("good")?.0.status == "shipped")
        let (bad, record) = try #require(try await harness.state("bad"))
        #expect(bad.events == ["test.order.submitted"])
        #expect(record.version == 1)
        let dead = try await harness.store.deadLetters(group: harness.runner.groupName, limit: 10)
        #expect(dead.map(\.stored.event.type) == ["test.payment.explode"])
        #expect(dead.first?.lastError?.contains("the payment provider answered nonsense") == true)
    }

    @Test func aTimeoutOutsideTheTopicFailsTheStepWithAClearError() async throws {
        let harness = Harness()
        try await harness.runner.createGroup()
        try await harness.publish("test.order.submitted", order: "o-5")
        try await harness.drain()
        try await harness.publish("test.payment.stray-timeout", order: "o-5")
        let deliveries = try await harness.store.poll(group: harness.runner.groupName, max: 10, wait: .zero)
        let error = await #expect(throws: ProcessManagerError.self) {
            _ = try await harness.runner.handle(try #require(deliveries.first))
        }
        #expect(error?.message.contains("'elsewhere.timeout'") == true)
        #expect(error?.message.contains("give the timeout a type within the topic") == true)
        #expect(try await harness.state("o-5")?.1.version == 1)
    }

    /// Several runners on one store, as several nodes on one database, with two rival answers per order
    /// handled side by side: every order ends once, with one of them, however the steps interleave.
    @Test func concurrentRunnersKeepEveryInstanceConsistent() async throws {
        let harness = Harness()
        let runners =
            [harness.runner]
            + (0..<3).map { _ in
                ProcessManagerRunner(
                    TestOrderProcess(), groups: harness.store, processes: harness.store,
                    clock: harness.clock.wallClock(epoch: Self.epoch), configuration: configuration { $0.batchSize = 7 }
                )
            }
        func runAll() async throws {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                for runner in runners { tasks.addTask { while try await runner.runOnce() > 0 {} } }
                try await tasks.waitForAll()
            }
            try await harness.drain()
        }
        try await harness.runner.createGroup()
        let orders = (0..<60).map { "o-\($0)" }
        for order in orders { try await harness.publish("test.order.submitted", order: order) }
        try await runAll()
        for (index, order) in orders.enumerated() {
            let answers = ["test.payment.failed", "test.payment.succeeded"]
            for type in index % 2 == 0 ? answers : answers.reversed() {
                try await harness.publish(type, order: order)
            }
        }
        try await runAll()
        let closed = try await harness.closed()
        #expect(closed.count == orders.count)
        for order in orders {
            let (state, record) = try #require(try await harness.state(order), "\(order)")
            #expect(closed[order] == [state.status], "\(order)")
            #expect(state.events.count == 2, "\(order): \(state.events)")
            #expect(record.isFinished)
        }
    }

    /// A store that fails for a while (a database restarting) does not stop a running runner.
    @Test func aRunningRunnerOutlivesAStoreOutage() async throws {
        let store = InMemoryEventStore()
        let outage = FailingPolls(base: store, failures: 3)
        let runner = ProcessManagerRunner(
            TestOrderProcess(), groups: outage, processes: store,
            configuration: configuration { $0.pollWait = .milliseconds(20) }, logger: Harness.quietLogger)
        let running = Task { try await runner.run() }
        defer { running.cancel() }
        _ = try await store.append(Event(id: "s-1", source: "/test", type: "test.order.submitted", subject: "o-9"))
        try await withTimeLimit(testHangLimit, "the runner to handle the order after the outage") {
            while try await store.processRecord("test-order", key: "o-9") == nil {
                try await Task.sleep(for: .milliseconds(5))
            }
        }
        #expect(outage.remainingFailures == 0)
    }
}

/// A consumer-group store whose first polls fail as an unreachable database would.
private final class FailingPolls: ConsumerGroupStore {
    let base: InMemoryEventStore
    private let failures: Mutex<Int>

    init(base: InMemoryEventStore, failures: Int) {
        self.base = base
        self.failures = Mutex(failures)
    }

    var remainingFailures: Int { failures.withLock { $0 } }

    func poll(group: String, max: Int, wait: Duration) async throws -> [Delivery] {
        let fails = failures.withLock { remaining in
            defer { remaining = Swift.max(0, remaining - 1) }
            return remaining > 0
        }
        if fails { throw EventLogError(.unavailable, "the database cannot be reached (test)") }
        return try await base.poll(group: group, max: max, wait: wait)
    }

    func createGroup(_ configuration: ConsumerGroupConfiguration) async throws -> Bool {
        try await base.createGroup(configuration)
    }
    func deleteGroup(named name: String) async throws -> Bool { try await base.deleteGroup(named: name) }
    func groupInfo(named name: String) async throws -> ConsumerGroupInfo? { try await base.groupInfo(named: name) }
    func groups() async throws -> [ConsumerGroupInfo] { try await base.groups() }
    func ack(group: String, deliveryIDs: [String]) async throws -> Int {
        try await base.ack(group: group, deliveryIDs: deliveryIDs)
    }
    func nack(group: String, deliveryIDs: [String], delay: Duration, error: String?) async throws -> Int {
        try await base.nack(group: group, deliveryIDs: deliveryIDs, delay: delay, error: error)
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

extension ProcessManagerRunnerTests {
    /// The default configuration with `change` made.
    static func configuration(_ change: (inout ProcessManagerRunnerConfiguration) -> Void)
        -> ProcessManagerRunnerConfiguration
    {
        var configuration = ProcessManagerRunnerConfiguration()
        change(&configuration)
        return configuration
    }

    func configuration(_ change: (inout ProcessManagerRunnerConfiguration) -> Void) -> ProcessManagerRunnerConfiguration
    {
        Self.configuration(change)
    }
}
