import HeraldTesting
import Logging
import ServiceLifecycle
import Testing

@testable import Herald

@Suite struct ShutdownTests {
    @Test func shutdownFinishesBufferedEventsAndRefusesNewOnes() async throws {
        let bus = EventBus()
        let gate = Gate()
        let handled = EventRecorder()
        try bus.subscribe(">") { event in
            await gate.wait()
            handled.record(event)
        }
        for number in 0..<10 { try await bus.publish(Event(id: "\(number)", source: "/t", type: "x")) }
        let shutdown = Task { await bus.shutdown(gracePeriod: .seconds(30)) }
        gate.open()
        let report = await shutdown.value
        #expect(report.finishedInTime)
        #expect(report.unfinishedCount == 0)
        #expect(handled.events.count == 10)
        let error = await #expect(throws: EventBusError.self) {
            try await bus.publish(Event(source: "/t", type: "x"))
        }
        #expect(error?.code == .shutDown)
        #expect(throws: EventBusError.self) { try bus.subscribe(">") { _ in } }
    }

    @Test func shutdownReportsWhatAHungHandlerLeftWhenTheGracePeriodEnds() async throws {
        let bus = EventBus()
        let gate = Gate()
        try bus.subscribe(">", options: SubscriptionOptions(name: "stuck")) { _ in await gate.wait() }
        for number in 0..<5 { try await bus.publish(Event(id: "\(number)", source: "/t", type: "x")) }
        let report = await bus.shutdown(gracePeriod: .milliseconds(20))
        #expect(!report.finishedInTime)
        #expect(report.unfinishedEvents == ["stuck": 5])
        gate.open()
    }

    @Test func publisherWaitingForRoomFailsWhenTheBusShutsDown() async throws {
        let bus = EventBus()
        let gate = Gate()
        let entered = EventRecorder()
        try bus.subscribe(">", options: SubscriptionOptions(bufferCapacity: 1)) { event in
            entered.record(event)
            await gate.wait()
        }
        try await bus.publish(Event(source: "/t", type: "x"))
        _ = try await entered.waitForEvents(matching: ">")
        try await bus.publish(Event(source: "/t", type: "x"))
        let blocked = Task { try await bus.publish(Event(source: "/t", type: "x")) }
        let shutdown = Task { await bus.shutdown(gracePeriod: .seconds(30)) }
        await #expect(throws: EventBusError.self) { try await blocked.value }
        gate.open()
        #expect(await shutdown.value.finishedInTime)
    }

    @Test func runsAsAServiceAndDrainsOnGracefulShutdown() async throws {
        let bus = EventBus()
        let handled = EventRecorder()
        try bus.subscribe(">") { handled.record($0) }
        let group = ServiceGroup(services: [bus], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            for number in 0..<100 { try await bus.publish(Event(id: "\(number)", source: "/t", type: "x")) }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(handled.events.count == 100)
        await #expect(throws: EventBusError.self) { try await bus.publish(Event(source: "/t", type: "x")) }
    }

    /// Three workers: one handles `a` while `a`'s next event waits behind it, two sit idle. Draining hands
    /// the last event to the busy worker; the idle ones must still learn that nothing is left.
    @Test func shutdownEndsIdleKeyedWorkersWhenTheLastEventIsTakenByAnother() async throws {
        let bus = EventBus()
        let first = Gate()
        let others = Gate()
        let entered = EventRecorder()
        let subscription = try bus.subscribe("x", options: SubscriptionOptions(concurrency: 3)) { event in
            entered.record(event)
            await (event.id == "a1" ? first : others).wait()
        }
        for (id, key) in [("a1", "a"), ("b1", "b"), ("c1", "c")] {
            var event = Event(id: id, source: "/t", type: "x")
            event.partitionKey = key
            try await bus.publish(event)
        }
        _ = try await entered.waitForEvents(matching: ">", count: 3)
        var next = Event(id: "a2", source: "/t", type: "x")
        next.partitionKey = "a"
        try await bus.publish(next)
        others.open()
        let deadline = ContinuousClock.now + testHangLimit
        while subscription.statistics.completed < 2 && ContinuousClock.now < deadline { await Task.yield() }
        #expect(subscription.statistics.completed == 2)

        // A grace period no working worker outlives: running out of it would mean the idle ones never ended.
        let shutdown = Task { await bus.shutdown(gracePeriod: testHangLimit) }
        // Intake closes as the bus refuses publishes; only then may the busy worker finish.
        var intakeClosed = false
        let closingDeadline = ContinuousClock.now + testHangLimit
        while !intakeClosed && ContinuousClock.now < closingDeadline {
            intakeClosed = (try? await bus.publish(Event(source: "/t", type: "probe"))) == nil
            if !intakeClosed { await Task.yield() }
        }
        first.open()
        try #require(intakeClosed, "the bus still accepted publishes \(testHangLimit) after shutdown began")
        let report = await shutdown.value
        #expect(report.finishedInTime)
        #expect(entered.events.map(\.id).suffix(1) == ["a2"])
    }

    /// The handler takes events 1 to 5 as one batch, handles 1 to 3 and hangs on 4: only 4 and 5 are unfinished.
    @Test func shutdownReportCountsEventsHandledFromTheBatchInProgress() async throws {
        let bus = EventBus()
        let first = Gate()
        let stuck = Gate()
        let entered = EventRecorder()
        let subscription = try bus.subscribe(">", options: SubscriptionOptions(name: "batch")) { event in
            entered.record(event)
            if event.id == "0" { await first.wait() }
            if event.id == "4" { await stuck.wait() }
        }
        try await bus.publish(Event(id: "0", source: "/t", type: "x"))
        _ = try await entered.waitForEvents(matching: ">")
        for number in 1...5 { try await bus.publish(Event(id: "\(number)", source: "/t", type: "x")) }
        first.open()
        _ = try await entered.waitForEvents(matching: ">", count: 5)
        #expect(subscription.statistics.completed == 4)
        let report = await bus.shutdown(gracePeriod: .milliseconds(20))
        #expect(!report.finishedInTime)
        #expect(report.unfinishedEvents == ["batch": 2])
        stuck.open()
    }

    @Test func anEventOfferedAfterShutdownClosedIntakeIsRefusedNotSilentlyDropped() {
        let event = Event(source: "/t", type: "x")
        let shuttingDown = Mailbox(capacity: 4, policy: .suspend, keyed: false)
        shuttingDown.closeIntake(failingBlockedPublishersWith: EventBusError(.shutDown, "shutting down"))
        #expect(shuttingDown.offer(event) == .shutDown)
        let cancelled = Mailbox(capacity: 4, policy: .suspend, keyed: false)
        cancelled.discard()
        #expect(cancelled.offer(event) == .closed)
    }
}
