import Foundation
import Herald
import Testing

extension EventStoreConformance {
    /// The cases of consumer groups: sharing, start positions, redelivery, dead letters, counts, errors.
    static let consumerGroupCases: [ConformanceCase] = [
        ConformanceHarness.conformanceCase(
            "every group receives every event of its topic, and only those",
            everyGroupReceivesItsTopic
        ),
        ConformanceHarness.conformanceCase(
            "concurrent consumers of one group share the events, each exactly once",
            consumersShareEventsExactlyOnce
        ),
        ConformanceHarness.conformanceCase(
            "groups start at the earliest, the latest, a sequence or a time",
            requires: .controllableClock,
            groupsStartWhereConfigured
        ),
        ConformanceHarness.conformanceCase(
            "a nacked event is redelivered as attempt 2 with a new delivery id; the old id is dead",
            nackedEventIsRedelivered
        ),
        ConformanceHarness.conformanceCase(
            "a nack delay holds the redelivery until due, and wakes a waiting poll then",
            requires: .controllableClock,
            nackDelayHoldsRedelivery
        ),
        ConformanceHarness.conformanceCase(
            "an expired lease is redelivered, waking a waiting poll, and counts as an attempt",
            requires: .controllableClock,
            expiredLeaseIsRedelivered
        ),
        ConformanceHarness.conformanceCase(
            "the last failed attempt moves the event to the dead letters with its last error",
            lastFailedAttemptDeadLetters
        ),
        ConformanceHarness.conformanceCase(
            "dead letters can be requeued, all or by sequence, with fresh attempts",
            deadLettersCanBeRequeued
        ),
        ConformanceHarness.conformanceCase(
            "another consumer resumes where one stopped, losing nothing",
            requires: .controllableClock,
            anotherConsumerResumes
        ),
        ConformanceHarness.conformanceCase(
            "concurrent acks and nacks of one batch settle each delivery once",
            concurrentSettlementsOfOneBatch
        ),
        ConformanceHarness.conformanceCase(
            "group info counts lag, in-flight deliveries and dead letters",
            groupInfoCounts
        ),
        ConformanceHarness.conformanceCase(
            "a long poll returns as soon as another task appends",
            longPollReturnsOnAppend
        ),
        ConformanceHarness.conformanceCase(
            "group conflicts, invalid settings and unknown groups are errors",
            groupErrors
        ),
        ConformanceHarness.conformanceCase(
            "an append that acknowledges a delivery stores its events and settles the delivery together, once",
            appendAcknowledgingSettlesTogether
        ),
        ConformanceHarness.conformanceCase(
            "an append that acknowledges a delivery whose lease ran out stores nothing",
            requires: .controllableClock,
            appendAcknowledgingAnExpiredDeliveryStoresNothing
        ),
    ]

    static func everyGroupReceivesItsTopic(_ harness: ConformanceHarness) async throws {
        try await harness.createGroup("all-a")
        try await harness.createGroup("all-b")
        try await harness.createGroup("orders", topic: "orders.>")
        let topics = ["orders.placed", "orders.paid", "users.joined", "users.left", "audit.read"]
        let store = harness.store
        try await withThrowingTaskGroup(of: Void.self) { group in
            for topic in topics {
                group.addTask {
                    for event in ConformanceEvents.many(20, type: topic, prefix: topic) {
                        _ = try await store.append(event)
                    }
                }
            }
            try await group.waitForAll()
        }
        let all = Set(try await harness.readAll().map(\.event.id))
        #expect(all.count == 100)
        #expect(Set(try await harness.drain("all-a").map(\.event.id)) == all)
        #expect(Set(try await harness.drain("all-b").map(\.event.id)) == all)
        let orders = try await harness.drain("orders")
        #expect(orders.count == 40)
        #expect(orders.allSatisfy { $0.event.type.hasPrefix("orders.") })
        for topic in topics {
            let read = try await harness.readAll(filter: EventFilter(topic: try TopicPattern(topic)))
            #expect(read.map(\.event.id) == (0..<20).map { "\(topic)-\($0)" }, "only and all of \(topic), in order")
        }
    }

    static func consumersShareEventsExactlyOnce(_ harness: ConformanceHarness) async throws {
        try await harness.createGroup("shared")
        try await harness.appendStored(ConformanceEvents.many(200))
        let store = harness.store
        let received = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    var ids: [String] = []
                    while true {
                        let deliveries = try await store.poll(group: "shared", max: 7, wait: .zero)
                        if deliveries.isEmpty { return ids }
                        #expect(
                            try await store.ack(group: "shared", deliveryIDs: deliveries.map(\.id)) == deliveries.count)
                        ids += deliveries.map(\.event.id)
                    }
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(received.count == 200, "no event twice")
        #expect(Set(received).count == 200, "no event lost")
        let info = try await store.groupInfo(named: "shared")
        #expect(info?.lag == 0)
        #expect(info?.inFlight == 0)
    }

    static func groupsStartWhereConfigured(_ harness: ConformanceHarness) async throws {
        let early = try await harness.appendStored(ConformanceEvents.many(5, prefix: "early"))
        try await harness.createGroup("from-earliest", start: .earliest)
        try await harness.createGroup("from-latest", start: .latest)
        try await harness.createGroup("after-third", start: .after(sequence: early[2]))
        harness.advance(by: .seconds(10))
        let boundary = harness.wallClock.now
        try await harness.appendStored(ConformanceEvents.many(2, prefix: "late"))
        try await harness.createGroup("from-time", start: .time(boundary))

        #expect(try await harness.drain("from-earliest").count == 7)
        #expect(try await harness.drain("from-latest").map(\.event.id) == ["late-0", "late-1"])
        #expect(try await harness.drain("after-third").map(\.event.id) == ["early-3", "early-4", "late-0", "late-1"])
        #expect(try await harness.drain("from-time").map(\.event.id) == ["late-0", "late-1"])
    }

    static func nackedEventIsRedelivered(_ harness: ConformanceHarness) async throws {
        let store = harness.store
        try await harness.createGroup("retrying")
        try await harness.appendStored([ConformanceEvents.make(1)])
        let first = try #require(try await harness.pollNow("retrying").first)
        #expect(first.attempt == 1)
        #expect(try await store.nack(group: "retrying", deliveryIDs: [first.id], delay: .zero, error: "boom") == 1)

        let second = try #require(try await harness.pollNow("retrying").first)
        #expect(second.attempt == 2)
        #expect(second.id != first.id)
        #expect(second.event == first.event)
        #expect(try await store.ack(group: "retrying", deliveryIDs: [first.id]) == 0, "the old id acknowledges nothing")
        #expect(try await store.nack(group: "retrying", deliveryIDs: [first.id], delay: .zero, error: nil) == 0)
        #expect(try await store.ack(group: "retrying", deliveryIDs: [second.id, "unknown-delivery"]) == 1)
        #expect(try await harness.pollNow("retrying").isEmpty)
        #expect(try await store.ack(group: "retrying", deliveryIDs: [second.id]) == 0, "an ack is not repeated")
    }

    static func nackDelayHoldsRedelivery(_ harness: ConformanceHarness) async throws {
        let store = harness.store
        try await harness.createGroup("delaying")
        try await harness.appendStored([ConformanceEvents.make(1)])
        let first = try #require(try await harness.pollNow("delaying").first)
        _ = try await store.nack(group: "delaying", deliveryIDs: [first.id], delay: .seconds(10), error: "later")
        #expect(try await harness.pollNow("delaying").isEmpty)

        let poller = Task { try await store.poll(group: "delaying", max: 10, wait: .seconds(60)) }
        try await harness.clock.waitForSleepers(1)
        harness.advance(by: .seconds(10))
        let redelivered = try await poller.value
        #expect(redelivered.map(\.attempt) == [2])
        #expect(redelivered.map(\.sequence) == [first.sequence])
    }

    static func expiredLeaseIsRedelivered(_ harness: ConformanceHarness) async throws {
        let store = harness.store
        try await harness.createGroup("leasing", maxAttempts: 2, ackTimeout: .seconds(30))
        try await harness.appendStored([ConformanceEvents.make(1)])
        let first = try #require(try await harness.pollNow("leasing").first)
        #expect(try await store.groupInfo(named: "leasing")?.inFlight == 1)

        let poller = Task { try await store.poll(group: "leasing", max: 10, wait: .seconds(120)) }
        try await harness.clock.waitForSleepers(1)
        harness.advance(by: .seconds(30))
        let second = try #require(try await poller.value.first)
        #expect(second.attempt == 2)
        #expect(second.id != first.id)
        #expect(try await store.ack(group: "leasing", deliveryIDs: [first.id]) == 0, "the expired id is dead")

        harness.advance(by: .seconds(30))
        #expect(try await harness.pollNow("leasing").isEmpty)
        let letters = try await store.deadLetters(group: "leasing", limit: 10)
        #expect(letters.map(\.attempts) == [2])
        #expect(letters.first?.lastError?.contains("lease expired") == true, "\(String(describing: letters.first))")
        #expect(try await store.ack(group: "leasing", deliveryIDs: [second.id]) == 0)
    }

    static func lastFailedAttemptDeadLetters(_ harness: ConformanceHarness) async throws {
        let store = harness.store
        try await harness.createGroup("failing", maxAttempts: 2)
        let sequence = try #require(try await harness.appendStored([ConformanceEvents.make(1)]).first)
        for error in ["first failure", "second failure"] {
            let delivery = try #require(try await harness.pollNow("failing").first)
            #expect(try await store.nack(group: "failing", deliveryIDs: [delivery.id], delay: .zero, error: error) == 1)
        }
        #expect(try await harness.pollNow("failing").isEmpty)
        let letters = try await store.deadLetters(group: "failing", limit: 10)
        #expect(letters.map(\.stored.sequence) == [sequence])
        #expect(letters.first?.attempts == 2)
        #expect(letters.first?.lastError == "second failure")
        #expect(letters.first?.stored.event == ConformanceEvents.make(1))
        let info = try await store.groupInfo(named: "failing")
        #expect(info?.deadLetters == 1)
        #expect(info?.lag == 0, "dead letters do not count as lag")
    }

    static func deadLettersCanBeRequeued(_ harness: ConformanceHarness) async throws {
        let store = harness.store
        try await harness.createGroup("requeueing", maxAttempts: 1)
        let sequences = try await harness.appendStored(ConformanceEvents.many(3))
        let deliveries = try await harness.pollNow("requeueing")
        _ = try await store.nack(group: "requeueing", deliveryIDs: deliveries.map(\.id), delay: .zero, error: "bad")
        #expect(
            try await store.deadLetters(group: "requeueing", limit: 2).map(\.stored.sequence) == [
                sequences[0], sequences[1],
            ])

        #expect(try await store.requeueDeadLetters(group: "requeueing", sequences: [sequences[1], 999_999]) == 1)
        let requeued = try await harness.pollNow("requeueing")
        #expect(requeued.map(\.sequence) == [sequences[1]])
        #expect(requeued.map(\.attempt) == [1], "fresh attempts")
        _ = try await store.ack(group: "requeueing", deliveryIDs: requeued.map(\.id))
        #expect(
            try await store.deadLetters(group: "requeueing", limit: 10).map(\.stored.sequence) == [
                sequences[0], sequences[2],
            ])

        #expect(try await store.requeueDeadLetters(group: "requeueing", sequences: nil) == 2)
        #expect(try await harness.drain("requeueing").map(\.sequence) == [sequences[0], sequences[2]])
        #expect(try await store.deadLetters(group: "requeueing", limit: 10).isEmpty)
        #expect(try await store.groupInfo(named: "requeueing")?.lag == 0)
    }

    static func anotherConsumerResumes(_ harness: ConformanceHarness) async throws {
        let store = harness.store
        try await harness.createGroup("relay", ackTimeout: .seconds(30))
        try await harness.appendStored(ConformanceEvents.many(100))
        let stopped = try await store.poll(group: "relay", max: 30, wait: .zero)
        _ = try await store.ack(group: "relay", deliveryIDs: stopped[..<20].map(\.id))

        let resumed = try await harness.drain("relay")
        #expect(resumed.count == 70)
        harness.advance(by: .seconds(30))
        let abandoned = try await harness.drain("relay")
        #expect(abandoned.map(\.sequence) == stopped[20...].map(\.sequence), "the stopped consumer's leases come back")
        #expect(abandoned.allSatisfy { $0.attempt == 2 })
        let all = stopped[..<20].map(\.event.id) + resumed.map(\.event.id) + abandoned.map(\.event.id)
        #expect(Set(all).count == 100)
        #expect(try await store.groupInfo(named: "relay")?.lag == 0)
    }

    static func concurrentSettlementsOfOneBatch(_ harness: ConformanceHarness) async throws {
        let store = harness.store
        try await harness.createGroup("settling", maxAttempts: 3)
        try await harness.appendStored(ConformanceEvents.many(40))
        let batch = try await harness.pollNow("settling", max: 40)
        #expect(batch.count == 40)
        let ids = batch.map(\.id)
        // Overlapping settlements of one poll's deliveries, at once: each delivery is settled by one of them.
        async let first = store.ackReturningIDs(group: "settling", deliveryIDs: Array(ids[0..<25]))
        async let second = store.ackReturningIDs(group: "settling", deliveryIDs: Array(ids[15..<35]))
        async let third = store.nackReturningIDs(
            group: "settling", deliveryIDs: Array(ids[30..<40]), delay: .zero, error: "failed")
        let settled = try await [first, second, third]
        #expect(settled.map(\.count).reduce(0, +) == 40, "\(settled.map(\.count))")
        #expect(settled.reduce(into: Set<String>()) { $0.formUnion($1) } == Set(ids))
        let info = try #require(try await store.groupInfo(named: "settling"))
        #expect(info.inFlight == 0)
        let redelivered = try await harness.drain("settling")
        #expect(redelivered.count == settled[2].count, "the nacked ones come back, once each")
        #expect(redelivered.allSatisfy { $0.attempt == 2 })
        #expect(try await store.ack(group: "settling", deliveryIDs: ids) == 0, "settled ids are dead")
    }

    static func groupInfoCounts(_ harness: ConformanceHarness) async throws {
        let store = harness.store
        try await harness.createGroup("counted", topic: "counted.>", maxAttempts: 1)
        try await harness.appendStored(ConformanceEvents.many(10, type: "counted.item"))
        try await harness.appendStored(ConformanceEvents.many(3, type: "ignored.item", prefix: "ignored"))
        try await harness.createGroup("a-latest", start: .latest)
        var info = try #require(try await store.groupInfo(named: "counted"))
        #expect((info.lag, info.inFlight, info.deadLetters) == (10, 0, 0))

        let deliveries = try await store.poll(group: "counted", max: 4, wait: .zero)
        info = try #require(try await store.groupInfo(named: "counted"))
        #expect((info.lag, info.inFlight, info.deadLetters) == (10, 4, 0))
        _ = try await store.ack(group: "counted", deliveryIDs: deliveries[..<2].map(\.id))
        _ = try await store.nack(group: "counted", deliveryIDs: [deliveries[2].id], delay: .zero, error: "bad")
        info = try #require(try await store.groupInfo(named: "counted"))
        #expect((info.lag, info.inFlight, info.deadLetters) == (7, 1, 1))

        #expect(try await store.groupInfo(named: "a-latest")?.lag == 0)
        try await harness.appendStored([ConformanceEvents.make(99, type: "counted.item", id: "after")])
        #expect(try await store.groupInfo(named: "a-latest")?.lag == 1)
        #expect(try await store.groups().map(\.configuration.name) == ["a-latest", "counted"])
        #expect(try await store.groupInfo(named: "nobody") == nil)
    }

    static func longPollReturnsOnAppend(_ harness: ConformanceHarness) async throws {
        let store = harness.store
        try await harness.createGroup("waiting")
        // Waits far longer than the time limit below: only the append can end them in time.
        let poller = Task { try await store.poll(group: "waiting", max: 10, wait: .seconds(600)) }
        let waiter = Task { try await store.waitForEvents(after: 0, timeout: .seconds(600)) }
        let appender = Task { try await store.append(ConformanceEvents.make(1, id: "wake-up")) }
        _ = try await appender.value
        let deliveries = try await withTimeLimit(testHangLimit, "a long poll woken by an append") {
            try await poller.value
        }
        #expect(deliveries.map(\.event.id) == ["wake-up"])
        #expect(try await waiter.value)
    }

    static func groupErrors(_ harness: ConformanceHarness) async throws {
        let store = harness.store
        let topic = try TopicPattern("orders.>")
        let configuration = ConsumerGroupConfiguration(name: "billing", topic: topic)
        #expect(try await store.createGroup(configuration))
        #expect(try await store.createGroup(configuration) == false, "the same settings again is not an error")
        var changed = configuration
        changed.maxAttempts = 9
        let conflict = await #expect(throws: EventLogError.self) { try await store.createGroup(changed) }
        #expect(conflict?.code == .groupConflict)

        let invalid = [
            ConsumerGroupConfiguration(name: "bad name!", topic: topic),
            ConsumerGroupConfiguration(name: "", topic: topic),
            ConsumerGroupConfiguration(name: "zero-attempts", topic: topic, maxAttempts: 0),
            ConsumerGroupConfiguration(name: "no-lease", topic: topic, ackTimeout: .zero),
        ]
        for configuration in invalid {
            let error = await #expect(throws: EventLogError.self) { try await store.createGroup(configuration) }
            #expect(error?.code == .invalidArgument, "\(configuration.name)")
        }
        let badMax = await #expect(throws: EventLogError.self) {
            try await store.poll(group: "billing", max: 0, wait: .zero)
        }
        #expect(badMax?.code == .invalidArgument)

        let unknown: [@Sendable () async throws -> Void] = [
            { _ = try await store.poll(group: "ghost", max: 1, wait: .zero) },
            { _ = try await store.ack(group: "ghost", deliveryIDs: ["x"]) },
            { _ = try await store.nack(group: "ghost", deliveryIDs: ["x"], delay: .zero, error: nil) },
            { _ = try await store.deadLetters(group: "ghost", limit: 10) },
            { _ = try await store.requeueDeadLetters(group: "ghost", sequences: nil) },
        ]
        for operation in unknown {
            let error = await #expect(throws: EventLogError.self) { try await operation() }
            #expect(error?.code == .groupNotFound)
        }
        #expect(try await store.deleteGroup(named: "billing"))
        #expect(try await store.deleteGroup(named: "billing") == false)
        let deleted = await #expect(throws: EventLogError.self) {
            try await store.poll(group: "billing", max: 1, wait: .zero)
        }
        #expect(deleted?.code == .groupNotFound)
    }

    static func appendAcknowledgingSettlesTogether(_ harness: ConformanceHarness) async throws {
        let store = try #require(
            harness.store as? any AcknowledgingEventLog, "every Herald store acknowledges with appends")
        try await harness.createGroup("reserving", topic: "orders.>")
        try await harness.appendStored([ConformanceEvents.make(1, type: "orders.placed")])
        let delivery = try #require(try await harness.pollNow("reserving").first)
        let reserved = ConformanceEvents.make(2, type: "stock.reserved")

        let results = try #require(try await store.append([reserved], acknowledging: delivery.id, of: "reserving"))
        #expect(results.map(\.id) == [reserved.id])
        #expect(try await store.groupInfo(named: "reserving")?.lag == 0, "the delivery is acknowledged")
        #expect(try await harness.readAll().map(\.event.id) == ["event-1", reserved.id])

        let again = try await store.append(
            [ConformanceEvents.make(3, type: "stock.reserved")], acknowledging: delivery.id, of: "reserving")
        #expect(again == nil, "a settled delivery acknowledges nothing, and nothing is stored")
        #expect(try await harness.readAll().count == 2)

        await #expect(throws: EventBatchError.self) {
            try await store.append(
                [Event(id: "", source: "/x", type: "stock.reserved")], acknowledging: "no-such-delivery",
                of: "reserving")
        }
        await #expect(throws: EventLogError.self) {
            try await store.append([reserved], acknowledging: delivery.id, of: "no-such-group")
        }
    }

    static func appendAcknowledgingAnExpiredDeliveryStoresNothing(_ harness: ConformanceHarness) async throws {
        let store = try #require(
            harness.store as? any AcknowledgingEventLog, "every Herald store acknowledges with appends")
        try await harness.createGroup("slow", topic: "orders.>", ackTimeout: .seconds(5))
        try await harness.appendStored([ConformanceEvents.make(1, type: "orders.placed")])
        let delivery = try #require(try await harness.pollNow("slow").first)
        harness.advance(by: .seconds(10))
        let results = try await store.append(
            [ConformanceEvents.make(2, type: "stock.reserved")], acknowledging: delivery.id, of: "slow")
        #expect(results == nil)
        #expect(try await harness.readAll().map(\.event.id) == ["event-1"])
        let redelivered = try await harness.pollNow("slow")
        #expect(redelivered.map(\.event.id) == ["event-1"], "the event comes again, to whoever polls")
        #expect(redelivered.first?.attempt == 2)
    }
}
