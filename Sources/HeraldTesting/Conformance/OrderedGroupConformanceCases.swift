import Herald
import Synchronization
import Testing

extension EventStoreConformance {
    /// The cases of ordered consumer groups: one event of a key in flight at a time, in sequence order.
    static let orderedGroupCases: [ConformanceCase] = [
        ConformanceHarness.conformanceCase(
            "an ordered group delivers the next event of a key only after the ack",
            orderedGroupHoldsKeyUntilAck
        ),
        ConformanceHarness.conformanceCase(
            "in an ordered group a nack holds back its own key, not the others",
            orderedNackHoldsOnlyItsKey
        ),
        ConformanceHarness.conformanceCase(
            "an ordered group keeps each key in order, one at a time, under many consumers",
            orderedGroupKeepsKeyOrderUnderConcurrency
        ),
    ]

    static func orderedGroupHoldsKeyUntilAck(_ harness: ConformanceHarness) async throws {
        let store = harness.store
        try await harness.createGroup("ordered", ordered: true)
        let events = [
            ConformanceEvents.make(1, id: "a1", key: "a"), ConformanceEvents.make(2, id: "a2", key: "a"),
            ConformanceEvents.make(3, id: "b1", key: "b"), ConformanceEvents.make(4, id: "free"),
        ]
        try await harness.appendStored(events)
        let first = try await harness.pollNow("ordered")
        #expect(first.map(\.event.id) == ["a1", "b1", "free"], "a2 waits for a1")
        #expect(try await harness.pollNow("ordered").isEmpty)
        let a1 = try #require(first.first)
        _ = try await store.ack(group: "ordered", deliveryIDs: [a1.id])
        #expect(try await harness.pollNow("ordered").map(\.event.id) == ["a2"])
    }

    static func orderedNackHoldsOnlyItsKey(_ harness: ConformanceHarness) async throws {
        let store = harness.store
        try await harness.createGroup("ordered", ordered: true)
        try await harness.appendStored([
            ConformanceEvents.make(1, id: "a1", key: "a"), ConformanceEvents.make(2, id: "b1", key: "b"),
            ConformanceEvents.make(3, id: "a2", key: "a"), ConformanceEvents.make(4, id: "b2", key: "b"),
        ])
        let first = try await harness.pollNow("ordered")
        #expect(first.map(\.event.id) == ["a1", "b1"])
        _ = try await store.nack(group: "ordered", deliveryIDs: [first[0].id], delay: .zero, error: "retry a")
        let retried = try await harness.pollNow("ordered")
        #expect(retried.map(\.event.id) == ["a1"], "a1 again before a2; b2 waits for b1")
        #expect(retried.first?.attempt == 2)

        _ = try await store.ack(group: "ordered", deliveryIDs: [first[1].id])
        #expect(try await harness.pollNow("ordered").map(\.event.id) == ["b2"])
        let a1 = try #require(retried.first)
        _ = try await store.nack(group: "ordered", deliveryIDs: [a1.id], delay: .seconds(3_600), error: "later")
        try await harness.appendStored([ConformanceEvents.make(5, id: "c1", key: "c")])
        #expect(try await harness.pollNow("ordered").map(\.event.id) == ["c1"], "a's wait does not hold c")
    }

    static func orderedGroupKeepsKeyOrderUnderConcurrency(_ harness: ConformanceHarness) async throws {
        let store = harness.store
        // A lease never runs out during the case, so a delivery that no consumer received holds its key for good.
        try await harness.createGroup("ordered", ackTimeout: .seconds(3_600), ordered: true)
        let keys = 8
        let perKey = 25
        let total = keys * perKey
        let events = (0..<total).map { n in ConformanceEvents.make(n, key: "key-\(n % keys)") }
        try await harness.appendStored(events)

        let progress = OrderedProgress()
        do {
            try await drainWithFourConsumers(store, total: total, progress: progress)
        } catch let failure as ConformanceFailure {
            let info = try await store.groupInfo(named: "ordered")
            throw ConformanceFailure(
                "\(failure.message); \(progress.summary(total: total)); the group has lag \(info?.lag ?? -1) and "
                    + "\(info?.inFlight ?? -1) in flight")
        }
        let byKey = progress.deliveredByKey
        for key in 0..<keys {
            #expect(
                byKey["key-\(key)"] == Array(stride(from: key, to: total, by: keys)), "key-\(key) in order, once each")
        }
    }

    /// Four consumers poll the ordered group and ack one delivery at a time until `total` are acknowledged.
    private static func drainWithFourConsumers(
        _ store: any EventLog & ConsumerGroupStore, total: Int, progress: OrderedProgress
    ) async throws {
        try await withProgressLimit(
            idle: testHangLimit, limit: .seconds(600), "four ordered consumers draining \(total) events",
            progress: { progress.acknowledged }
        ) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        while progress.acknowledged < total {
                            let deliveries = try await store.poll(group: "ordered", max: 5, wait: .milliseconds(200))
                            for delivery in deliveries {
                                #expect(progress.begin(delivery), "two events of a key in flight at once")
                            }
                            await Task.yield()
                            for delivery in deliveries {
                                progress.end(delivery)
                                let acknowledged = try await store.ack(group: "ordered", deliveryIDs: [delivery.id])
                                #expect(acknowledged == 1, "the ack of current delivery \(delivery.id) counts")
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }
}

/// What concurrent consumers of an ordered group have seen: the keys in flight and each key's events.
private final class OrderedProgress: Sendable {
    private struct State {
        var inFlight: Set<String> = []
        var deliveredByKey: [String: [Int]] = [:]
        var acknowledged = 0
    }

    private let state = Mutex(State())

    var acknowledged: Int { state.withLock { $0.acknowledged } }
    var deliveredByKey: [String: [Int]] { state.withLock { $0.deliveredByKey } }

    /// What a failure report needs: how many were acknowledged, and the first events never delivered.
    func summary(total: Int) -> String {
        state.withLock { state in
            let seen = Set(state.deliveredByKey.values.joined())
            let unseen = (0..<total).filter { !seen.contains($0) }
            return "\(state.acknowledged) acknowledged, never delivered \(unseen.prefix(20))"
        }
    }

    /// Records a delivery; returns false if another event of its key is in flight.
    func begin(_ delivery: Delivery) -> Bool {
        let key = delivery.event.partitionKey ?? ""
        return state.withLock { state in
            state.deliveredByKey[key, default: []].append(ConformanceEvents.number(delivery.event) ?? -1)
            return state.inFlight.insert(key).inserted
        }
    }

    /// Records that a delivery is about to be acknowledged.
    func end(_ delivery: Delivery) {
        state.withLock { state in
            state.inFlight.remove(delivery.event.partitionKey ?? "")
            state.acknowledged += 1
        }
    }
}
