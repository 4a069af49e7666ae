import Foundation
import Herald
import Synchronization
import Testing

/// The router suite's cases: a ``Router`` handler on a durable source, with the router's middleware.
enum RouterConformanceCases {
    static let all: [RouterConformanceCase] = [
        RouterConformanceCase(
            "every event is handled once, and events of one partition key one at a time in order, under concurrency",
            { harness, _ in try await handlesEveryEventOnceAndEachKeyInOrder(harness, ordered: false, pollsInFlight: 1)
            }),
        RouterConformanceCase(
            "with several polls in flight on an ordered group, every event is handled once and each key in order",
            { harness, _ in try await handlesEveryEventOnceAndEachKeyInOrder(harness, ordered: true, pollsInFlight: 3) }
        ),
        RouterConformanceCase(
            "a failure waits out the retry backoff in the group, and comes back after the consumer restarts",
            retryBackoffIsDurable),
        RouterConformanceCase(
            "the store's restart in the middle of a backoff keeps the retry",
            requires: .durableRestart, retryBackoffSurvivesAStoreRestart),
        RouterConformanceCase(
            "an event that fails every attempt goes to the group's dead letters after the group's last attempt",
            deadLettersAfterTheLastAttempt),
        RouterConformanceCase(
            "the dead-letter middleware publishes the event to the source's log after the last attempt",
            deadLetterMiddlewarePublishesAfterTheLastAttempt),
        RouterConformanceCase(
            "a timed-out attempt is retried, and the next attempt's success acknowledges the event",
            timeoutFailsOnlyTheAttempt),
        RouterConformanceCase(
            "an open circuit breaker fails events fast, and they come back until it closes",
            circuitBreakerRejectionsComeBack),
        RouterConformanceCase(
            "the loop guard dead-letters an event over the hop limit without handling it",
            loopGuardStopsAChain),
        RouterConformanceCase(
            "events a handler returns are published to the source, stamped as caused by the handled event",
            returnedEventsArePublishedWithCausation),
        RouterConformanceCase(
            "stopping under load finishes the events in hand: nothing is lost or handled twice",
            gracefulStopLosesNothing),
    ]

    // MARK: Cases

    static func handlesEveryEventOnceAndEachKeyInOrder(
        _ harness: DeliverySourceHarness, ordered: Bool, pollsInFlight: Int
    ) async throws {
        let keys = ["a", "b", "c", "d", "e"]
        let events = (1...100).map { n in
            ConformanceEvents.make(n, type: "orders.placed", key: n % 6 == 0 ? nil : keys[n % keys.count])
        }
        try await harness.store.append(events, expecting: nil)
        let running = Mutex<Set<String>>([])
        let overlapped = Mutex<[String]>([])
        let handled = Mutex<[Event]>([])
        let router = Router()
        let consumer = try router.addHandler(
            "orders", consuming: harness.source(try group("orders", ordered: ordered)),
            options: ConsumerOptions(batchSize: 16, concurrency: 8, pollsInFlight: pollsInFlight)
        ) { event, _ in
            if let key = event.partitionKey {
                let free = running.withLock { $0.insert(key).inserted }
                if !free { overlapped.withLock { $0.append(key) } }
            }
            for _ in 0..<Int.random(in: 0...3) { await Task.yield() }
            handled.withLock { $0.append(event) }
            if let key = event.partitionKey { running.withLock { _ = $0.remove(key) } }
            return []
        }
        try await consumer.running { _ in
            #expect(await eventually { handled.withLock { $0.count } >= events.count })
            #expect(await eventually { try await lag(of: "orders", in: harness) == 0 })
        }
        let all = handled.withLock { $0 }
        #expect(all.map(\.id).sorted() == events.map(\.id).sorted(), "every event once")
        #expect(overlapped.withLock { $0 }.isEmpty, "no two events of one key at once")
        for key in keys {
            let order = all.filter { $0.partitionKey == key }.map(\.id)
            let expected = events.filter { $0.partitionKey == key }.map(\.id)
            #expect(order == expected, "key \(key) in order")
        }
    }

    static func retryBackoffIsDurable(_ harness: DeliverySourceHarness, _: Capabilities) async throws {
        try await retryAcrossARestart(harness, restartingTheStore: false)
    }

    static func retryBackoffSurvivesAStoreRestart(_ harness: DeliverySourceHarness, _: Capabilities) async throws {
        try await retryAcrossARestart(harness, restartingTheStore: true)
    }

    /// The first attempt fails and stops its consumer, which settles the failure on its way out; the store
    /// restarts too when asked; a new consumer handles the second attempt no sooner than the backoff allows.
    private static func retryAcrossARestart(_ harness: DeliverySourceHarness, restartingTheStore: Bool)
        async throws
    {
        let backoff = Duration.milliseconds(400)
        try await harness.store.append([ConformanceEvents.make(1, type: "orders.placed")], expecting: nil)
        let attempts = Mutex<[(attempt: Int, at: ContinuousClock.Instant)]>([])
        let router = Router(middleware: [RetryMiddleware(maxAttempts: 5, initialDelay: backoff, jitter: 0)])
        let firstConsumer = Mutex<GroupConsumer?>(nil)
        let handler: EventHandler = { _, context in
            let first = attempts.withLock { attempts in
                attempts.append((context.attempt, .now))
                return attempts.count == 1
            }
            if first {
                firstConsumer.withLock { $0?.stop() }
                throw InjectedFailure()
            }
            return []
        }
        let configuration = try group("orders")
        let first = try router.addHandler("first", consuming: harness.source(configuration), handler)
        firstConsumer.withLock { $0 = first }
        try await first.running { _ in
            #expect(await eventually { attempts.withLock { $0.count } == 1 })
        }
        // The failure is settled in the group: the event waits there, leased to nobody.
        let info = try await harness.store.groupInfo(named: "orders")
        #expect(info?.lag == 1 && info?.inFlight == 0 && info?.deadLetters == 0)
        if restartingTheStore { try await harness.reopen() }
        let second = try router.addHandler("second", consuming: harness.source(configuration), handler)
        try await second.running { _ in
            #expect(await eventually { try await lag(of: "orders", in: harness) == 0 })
        }
        let seen = attempts.withLock { $0 }
        #expect(seen.map(\.attempt) == [1, 2], "the group counted the attempts")
        if seen.count == 2 {
            #expect(seen[1].at - seen[0].at >= backoff, "the second attempt waited out the backoff")
        }
    }

    static func deadLettersAfterTheLastAttempt(_ harness: DeliverySourceHarness, _: Capabilities) async throws {
        try await harness.store.append([ConformanceEvents.make(1, type: "orders.placed")], expecting: nil)
        let attempts = Mutex<[Int]>([])
        let router = Router(middleware: [RetryMiddleware(maxAttempts: 10, initialDelay: .milliseconds(5))])
        let consumer = try router.addHandler(
            "orders", consuming: harness.source(try group("orders", maxAttempts: 3))
        ) { _, context in
            attempts.withLock { $0.append(context.attempt) }
            throw InjectedFailure()
        }
        try await consumer.running { _ in
            #expect(await eventually { try await harness.store.groupInfo(named: "orders")?.deadLetters == 1 })
        }
        #expect(attempts.withLock { $0 } == [1, 2, 3], "the group's maxAttempts counts, not the middleware's")
        let letters = try await harness.store.deadLetters(group: "orders", limit: 10)
        #expect(letters.map(\.attempts) == [3])
        #expect(letters.first?.lastError?.contains("InjectedFailure") == true)
    }

    static func deadLetterMiddlewarePublishesAfterTheLastAttempt(_ harness: DeliverySourceHarness, _: Capabilities)
        async throws
    {
        let failing = ConformanceEvents.make(1, type: "orders.placed")
        try await harness.store.append([failing], expecting: nil)
        let router = Router(middleware: [
            DeadLetterMiddleware(), RetryMiddleware(maxAttempts: 10, initialDelay: .milliseconds(5)),
        ])
        let consumer = try router.addHandler(
            "orders", consuming: harness.source(try group("orders", maxAttempts: 2))
        ) { _, _ in throw InjectedFailure() }
        try await consumer.running { _ in
            #expect(await eventually { try await lag(of: "orders", in: harness) == 0 })
        }
        let stored = try await harness.store.read(
            after: 0, filter: EventFilter(topic: try TopicPattern(DeadLetter.topic)), limit: 10)
        let letters = try stored.events.map { try DeadLetter($0.event) }
        #expect(letters.map(\.event.id) == [failing.id])
        #expect(letters.map(\.attempts) == [2])
        #expect(letters.map(\.handlerName) == ["orders"])
        #expect(try await harness.store.groupInfo(named: "orders")?.deadLetters == 0, "handled by the middleware")
    }

    static func timeoutFailsOnlyTheAttempt(_ harness: DeliverySourceHarness, _: Capabilities) async throws {
        try await harness.store.append([ConformanceEvents.make(1, type: "orders.placed")], expecting: nil)
        let attempts = Mutex<[Int]>([])
        let router = Router(middleware: [
            RetryMiddleware(initialDelay: .milliseconds(5)), TimeoutMiddleware(limit: .milliseconds(100)),
        ])
        let consumer = try router.addHandler("orders", consuming: harness.source(try group("orders"))) {
            _, context in
            attempts.withLock { $0.append(context.attempt) }
            if context.attempt == 1 { try await Task.sleep(for: .seconds(3_600)) }
            return []
        }
        try await consumer.running { _ in
            #expect(await eventually { try await lag(of: "orders", in: harness) == 0 })
        }
        #expect(attempts.withLock { $0 } == [1, 2])
        #expect(try await harness.store.groupInfo(named: "orders")?.deadLetters == 0)
    }

    static func circuitBreakerRejectionsComeBack(_ harness: DeliverySourceHarness, _: Capabilities) async throws {
        let events = (1...6).map { ConformanceEvents.make($0, type: "orders.placed") }
        try await harness.store.append(events, expecting: nil)
        let dependencyUp = Atomic(false)
        let calls = Atomic(0)
        let breaker = CircuitBreakerMiddleware(failureThreshold: 2, openDuration: .milliseconds(50))
        let router = Router(middleware: [RetryMiddleware(initialDelay: .milliseconds(20), jitter: 0), breaker])
        let handled = Mutex<Set<String>>([])
        let consumer = try router.addHandler(
            "orders", consuming: harness.source(try group("orders", maxAttempts: 1_000))
        ) { event, _ in
            let call = calls.add(1, ordering: .relaxed).newValue
            if call >= 4 { dependencyUp.store(true, ordering: .relaxed) }
            guard dependencyUp.load(ordering: .relaxed) else { throw InjectedFailure() }
            handled.withLock { _ = $0.insert(event.id) }
            return []
        }
        try await consumer.running { _ in
            #expect(await eventually { try await lag(of: "orders", in: harness) == 0 })
        }
        #expect(handled.withLock { $0 } == Set(events.map(\.id)), "every event handled once the circuit closed")
        #expect(try await harness.store.groupInfo(named: "orders")?.deadLetters == 0)
    }

    static func loopGuardStopsAChain(_ harness: DeliverySourceHarness, _: Capabilities) async throws {
        var looping = ConformanceEvents.make(1, type: "orders.placed")
        looping.hops = 3
        try await harness.store.append([looping, ConformanceEvents.make(2, type: "orders.placed")], expecting: nil)
        let handled = Mutex<[String]>([])
        let router = Router(configuration: Router.Configuration(maxHops: 2))
        let consumer = try router.addHandler("orders", consuming: harness.source(try group("orders"))) {
            event, _ in
            handled.withLock { $0.append(event.id) }
            return []
        }
        try await consumer.running { _ in
            #expect(await eventually { try await lag(of: "orders", in: harness) == 0 })
        }
        #expect(handled.withLock { $0 } == ["event-2"])
        let stored = try await harness.store.read(
            after: 0, filter: EventFilter(topic: try TopicPattern(DeadLetter.topic)), limit: 10)
        #expect(try stored.events.map { try DeadLetter($0.event).event.id } == [looping.id])
    }

    static func returnedEventsArePublishedWithCausation(_ harness: DeliverySourceHarness, _: Capabilities)
        async throws
    {
        let order = ConformanceEvents.make(1, type: "orders.placed")
        try await harness.store.append([order], expecting: nil)
        let router = Router()
        let consumer = try router.addHandler("reserve", consuming: harness.source(try group("orders"))) {
            event, _ in
            [Event(id: "reserved-\(event.id)", source: "/stock", type: "stock.reserved")]
        }
        try await consumer.running { _ in
            #expect(await eventually { try await lag(of: "orders", in: harness) == 0 })
        }
        let stored = try await harness.store.read(
            after: 0, filter: EventFilter(topic: try TopicPattern("stock.>")), limit: 10)
        let reserved = try #require(stored.events.first?.event)
        #expect(stored.events.count == 1)
        #expect(reserved.id == "reserved-\(order.id)")
        #expect(reserved.causationID == order.id)
        #expect(reserved.correlationID == order.id)
        #expect(reserved.hops == order.hops + 1)
    }

    static func gracefulStopLosesNothing(_ harness: DeliverySourceHarness, _: Capabilities) async throws {
        let events = (1...300).map { ConformanceEvents.make($0, type: "orders.placed") }
        try await harness.store.append(events, expecting: nil)
        let handled = Mutex<[String]>([])
        let router = Router()
        let options = ConsumerOptions(batchSize: 50, concurrency: 4)
        let handler: EventHandler = { event, _ in
            try await Task.sleep(for: .microseconds(200))
            handled.withLock { $0.append(event.id) }
            return []
        }
        let configuration = try group("orders")
        let first = try router.addHandler("first", consuming: harness.source(configuration), options: options, handler)
        try await first.running { _ in
            #expect(await eventually { handled.withLock { $0.count } >= 60 })
        }
        // The first consumer stopped with events in hand: it finished or gave back every one.
        let info = try await harness.store.groupInfo(named: "orders")
        #expect(info?.inFlight == 0, "nothing left leased")
        let second = try router.addHandler(
            "second", consuming: harness.source(configuration), options: options, handler)
        try await second.running { _ in
            #expect(await eventually { try await lag(of: "orders", in: harness) == 0 })
        }
        let all = handled.withLock { $0 }
        #expect(all.count == events.count, "handled \(all.count) times for \(events.count) events")
        #expect(Set(all) == Set(events.map(\.id)))
    }

    // MARK: Helpers

    struct InjectedFailure: Error {}

    static func group(_ name: String, maxAttempts: Int = 5, ordered: Bool = false) throws
        -> ConsumerGroupConfiguration
    {
        ConsumerGroupConfiguration(
            name: name, topic: try TopicPattern("orders.>"), start: .earliest, maxAttempts: maxAttempts,
            ackTimeout: .seconds(3_600), ordered: ordered)
    }

    static func lag(of group: String, in harness: DeliverySourceHarness) async throws -> Int? {
        try await harness.store.groupInfo(named: group)?.lag
    }

    /// Waits until `condition` holds, checking every few milliseconds, for at most `timeout`.
    static func eventually(
        within timeout: Duration = .seconds(30), _ condition: () async throws -> Bool
    ) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? await condition()) == true { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return (try? await condition()) == true
    }
}

extension GroupConsumer {
    /// Runs the consumer while `body` runs, then stops it and waits until it has stopped.
    func running(_ body: (GroupConsumer) async throws -> Void) async throws {
        let task = Task { try await self.run() }
        do {
            try await body(self)
        } catch {
            stop()
            _ = await task.result
            throw error
        }
        stop()
        try await task.value
    }
}
