import Foundation
import Herald
import Synchronization
import Testing

extension EventStoreConformance {
    /// The cases of what a store reports for operators and HTTP clients: event type counts, and which
    /// delivery ids an acknowledgement settled.
    static let reportingCases: [ConformanceCase] = [
        ConformanceHarness.conformanceCase(
            "event types count stored events with their newest sequence, after retention too",
            eventTypesCountStoredEvents
        ),
        ConformanceHarness.conformanceCase(
            "acks and nacks that return ids name exactly the deliveries that were current",
            settlingReturnsCurrentIDs
        ),
        ConformanceHarness.conformanceCase(
            "a group's counts stay whole while polls and nacks commit: an unacknowledged event is always in its lag",
            countsStayWholeWhilePollsCommit
        ),
    ]

    static func countsStayWholeWhilePollsCommit(_ harness: ConformanceHarness) async throws {
        let store = harness.store
        try await harness.createGroup("counting", maxAttempts: 1_000)
        try await harness.appendStored([ConformanceEvents.make(1)])
        let settled = Atomic(false)
        let settling = Task {
            defer { settled.store(true, ordering: .releasing) }
            for _ in 0..<200 {
                let deliveries = try await store.poll(group: "counting", max: 10, wait: .zero)
                _ = try await store.nack(group: "counting", deliveryIDs: deliveries.map(\.id), delay: .zero, error: nil)
            }
        }
        var lags: [Int] = []
        while !settled.load(ordering: .acquiring), lags.count < 5_000 {
            lags.append(try await store.groupInfo(named: "counting")?.lag ?? -1)
        }
        try await settling.value
        #expect(lags.allSatisfy { $0 == 1 }, "lags seen: \(Set(lags).sorted())")
    }

    static func eventTypesCountStoredEvents(_ harness: ConformanceHarness) async throws {
        let store = harness.store
        #expect(try await store.eventTypes().isEmpty)
        try await harness.appendStored(ConformanceEvents.many(3, type: "orders.placed", prefix: "p"))
        let paid = try await harness.appendStored(ConformanceEvents.many(2, type: "orders.paid", prefix: "q"))
        let more = try await harness.appendStored([ConformanceEvents.make(9, type: "orders.placed", id: "p-9")])
        _ = try await store.append(ConformanceEvents.make(3, type: "orders.placed", id: "p-0"))  // a duplicate
        let due = harness.wallClock.now.addingTimeInterval(3_600)
        _ = try await store.append(ConformanceEvents.make(4, type: "orders.later", id: "later", deliverAt: due))
        #expect(
            try await store.eventTypes() == [
                EventTypeSummary(type: "orders.paid", count: 2, lastSequence: paid[1]),
                EventTypeSummary(type: "orders.placed", count: 4, lastSequence: more[0]),
            ],
            "duplicates and scheduled events do not count")

        let policy = RetentionPolicy(topic: try TopicPattern("orders.placed"), maxCount: 1)
        #expect(try await store.applyRetention([policy]) == 3)
        let paidOnly = RetentionPolicy(topic: try TopicPattern("orders.paid"), maxCount: 0)
        #expect(try await store.applyRetention([paidOnly]) == 2)
        #expect(
            try await store.eventTypes() == [EventTypeSummary(type: "orders.placed", count: 1, lastSequence: more[0])])
    }

    static func settlingReturnsCurrentIDs(_ harness: ConformanceHarness) async throws {
        let store = harness.store
        try await harness.createGroup("settling")
        try await harness.appendStored(ConformanceEvents.many(4))
        let deliveries = try await harness.pollNow("settling")
        try #require(deliveries.count == 4)
        let ids = deliveries.map(\.id)

        let acked = try await store.ackReturningIDs(
            group: "settling", deliveryIDs: [ids[0], "unknown", ids[1], ids[0]])
        #expect(acked == [ids[0], ids[1]])
        #expect(try await store.ackReturningIDs(group: "settling", deliveryIDs: [ids[0]]).isEmpty, "acked once only")

        let nacked = try await store.nackReturningIDs(
            group: "settling", deliveryIDs: [ids[2], ids[1], "unknown"], delay: .zero, error: "boom")
        #expect(nacked == [ids[2]])
        #expect(
            try await store.nackReturningIDs(group: "settling", deliveryIDs: [ids[2]], delay: .zero, error: nil).isEmpty
        )
        #expect(try await store.ackReturningIDs(group: "settling", deliveryIDs: [ids[3]]) == [ids[3]])

        let redelivered = try await harness.pollNow("settling")
        #expect(redelivered.map(\.sequence) == [deliveries[2].sequence])
        #expect(redelivered.map(\.attempt) == [2])

        await #expect(throws: EventLogError.self) {
            _ = try await store.ackReturningIDs(group: "ghost", deliveryIDs: ["x"])
        }
        await #expect(throws: EventLogError.self) {
            _ = try await store.nackReturningIDs(group: "ghost", deliveryIDs: ["x"], delay: .zero, error: nil)
        }
    }
}
