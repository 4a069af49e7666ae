import Foundation
import Herald
import Testing

extension EventStoreConformance {
    /// The cases of a group's position and its cost: acknowledgements riding on a poll, seeking, and a
    /// poll's work over a large backlog.
    static let groupPositionCases: [ConformanceCase] = [
        ConformanceHarness.conformanceCase(
            "acknowledgements ride on the next poll, which says which were current",
            acknowledgementsRideOnThePoll
        ),
        ConformanceHarness.conformanceCase(
            "seek moves a group to the earliest, the latest, a sequence or a time, ending its deliveries",
            requires: .controllableClock,
            seekMovesTheGroup
        ),
        ConformanceHarness.conformanceCase(
            "seek keeps dead letters and ends waiting redeliveries",
            seekKeepsDeadLetters
        ),
        ConformanceHarness.conformanceCase(
            "a waiting poll crosses a long stretch of other types to its topic's next event",
            pollCrossesOtherTypes
        ),
        ConformanceHarness.conformanceCase(
            "a poll over a large backlog keeps rows for its batch only, not for the backlog",
            requires: .countsGroupRows,
            pollWorkDoesNotGrowWithTheBacklog
        ),
    ]

    static func acknowledgementsRideOnThePoll(_ harness: ConformanceHarness) async throws {
        let store = harness.store
        try await harness.createGroup("riding")
        let sequences = try await harness.appendStored(ConformanceEvents.many(25))
        let first = try await harness.pollNow("riding", max: 10)
        #expect(first.map(\.sequence) == Array(sequences[0..<10]))

        // Ids of no delivery, some shaped almost like one, are ignored.
        let unknown = ["no-such-delivery", "", "-", "x-", "x-1a", "x-+1", "x--1", "x-99999999999999999999999"]
        let second = try await store.poll(
            group: "riding", max: 10, wait: .zero, acknowledging: first.map(\.id) + unknown)
        #expect(second.acknowledged == Set(first.map(\.id)), "the unknown ids are not among the acknowledged")
        #expect(second.deliveries.map(\.sequence) == Array(sequences[10..<20]))
        var info = try #require(try await store.groupInfo(named: "riding"))
        #expect(info.lag == 15, "25 events, 10 acknowledged")
        #expect(info.inFlight == 10)

        // Acknowledging the same ids again acknowledges nothing.
        let again = try await store.poll(group: "riding", max: 10, wait: .zero, acknowledging: first.map(\.id))
        #expect(again.acknowledged.isEmpty)
        #expect(again.deliveries.map(\.sequence) == Array(sequences[20...]))

        // The last acknowledgements come with a poll that finds nothing; they still count, and the poll
        // waits only as long as asked.
        let last = try await store.poll(
            group: "riding", max: 10, wait: .milliseconds(50),
            acknowledging: (second.deliveries + again.deliveries).map(\.id))
        #expect(last.acknowledged.count == 15)
        #expect(last.deliveries.isEmpty)
        info = try #require(try await store.groupInfo(named: "riding"))
        #expect(info.lag == 0)
        #expect(info.inFlight == 0)

        await #expect(throws: EventLogError.self) {
            _ = try await store.poll(group: "no-such-group", max: 1, wait: .zero, acknowledging: ["x"])
        }
    }

    static func seekMovesTheGroup(_ harness: ConformanceHarness) async throws {
        let store = harness.store
        let early = try await harness.appendStored(ConformanceEvents.many(10, prefix: "early"))
        harness.advance(by: .seconds(3_600))
        let boundary = harness.wallClock.now
        let late = try await harness.appendStored(ConformanceEvents.many(10, prefix: "late"))
        try await harness.createGroup("seeking")

        // Deliveries in flight and one waiting for a redelivery, then skip to the end.
        let inFlight = try await harness.pollNow("seeking", max: 5)
        #expect(try await store.nack(group: "seeking", deliveryIDs: [inFlight[0].id], delay: .zero, error: nil) == 1)
        #expect(try await store.seek(group: "seeking", to: .latest) == late.last)
        let info = try #require(try await store.groupInfo(named: "seeking"))
        #expect(info.lag == 0, "nothing is left to deliver after the latest")
        #expect(info.inFlight == 0, "seeking ends the leases")
        #expect(try await store.ack(group: "seeking", deliveryIDs: inFlight.map(\.id)) == 0, "old ids are dead")
        #expect(try await harness.pollNow("seeking").isEmpty)
        let newer = try await harness.appendStored(ConformanceEvents.many(3, prefix: "newer"))
        let afterLatest = try await harness.pollNow("seeking")
        #expect(afterLatest.map(\.sequence) == newer)

        // Back to the start, with those three in flight: everything again, first attempts in order.
        #expect(try await store.seek(group: "seeking", to: .earliest) == 0)
        let replayed = try await harness.drain("seeking")
        #expect(replayed.map(\.sequence) == early + late + newer)
        #expect(replayed.allSatisfy { $0.attempt == 1 }, "a replay starts the attempts afresh")

        // After a sequence, and from a time.
        #expect(try await store.seek(group: "seeking", to: .after(sequence: early[6])) == early[6])
        #expect(try await harness.drain("seeking").map(\.sequence) == Array(early[7...]) + late + newer)
        #expect(try await store.seek(group: "seeking", to: .time(boundary)) == early.last)
        #expect(try await harness.drain("seeking").map(\.sequence) == late + newer)

        await #expect(throws: EventLogError.self) {
            _ = try await store.seek(group: "no-such-group", to: .earliest)
        }
    }

    static func seekKeepsDeadLetters(_ harness: ConformanceHarness) async throws {
        let store = harness.store
        try await harness.createGroup("lettered", maxAttempts: 1)
        let sequences = try await harness.appendStored(ConformanceEvents.many(6))
        let deliveries = try await harness.pollNow("lettered", max: 2)
        #expect(
            try await store.nack(group: "lettered", deliveryIDs: [deliveries[0].id], delay: .zero, error: "broken")
                == 1)
        #expect(
            try await store.nack(group: "lettered", deliveryIDs: [deliveries[1].id], delay: .zero, error: "broken")
                == 1)
        let lettered = Array(sequences.prefix(2))
        #expect(try await store.deadLetters(group: "lettered", limit: 10).map(\.stored.sequence) == lettered)

        #expect(try await store.seek(group: "lettered", to: .earliest) == 0)
        #expect(
            try await harness.drain("lettered").map(\.sequence) == Array(sequences.dropFirst(2)),
            "dead letters are not delivered again by a seek")
        #expect(try await store.deadLetters(group: "lettered", limit: 10).map(\.stored.sequence) == lettered)
        #expect(try await store.requeueDeadLetters(group: "lettered", sequences: nil) == 2)
        #expect(try await harness.drain("lettered").map(\.sequence) == lettered)

        // A redelivery waiting an hour is ended by a seek past it.
        try await harness.createGroup("delayed")
        let first = try #require(try await harness.pollNow("delayed", max: 1).first)
        #expect(
            try await store.nack(group: "delayed", deliveryIDs: [first.id], delay: .seconds(3_600), error: nil) == 1)
        #expect(try await store.seek(group: "delayed", to: .after(sequence: sequences[0])) == sequences[0])
        #expect(try await harness.drain("delayed").map(\.sequence) == Array(sequences.dropFirst()))
        let info = try #require(try await store.groupInfo(named: "delayed"))
        #expect(info.lag == 0, "the ended redelivery is not waiting any more")
    }

    static func pollCrossesOtherTypes(_ harness: ConformanceHarness) async throws {
        let store = harness.store
        try await harness.createGroup("sparse", topic: "sparse.>")
        // More than a first look at the log takes in (1,000 events on PostgreSQL), and few enough to leave the
        // machine to the cases that run beside this one.
        try await harness.appendStored(ConformanceEvents.many(2_500, type: "dense.item", prefix: "dense"))
        let wanted = try await harness.appendStored(ConformanceEvents.many(1, type: "sparse.item", prefix: "sparse"))
        // A store may look at the log a stretch at a time, but the poll goes on while the log holds more.
        let deliveries = try await store.poll(group: "sparse", max: 10, wait: .seconds(30))
        #expect(deliveries.map(\.sequence) == wanted)
    }

    static func pollWorkDoesNotGrowWithTheBacklog(_ harness: ConformanceHarness) async throws {
        let store = harness.store
        var sequences: [Int64] = []
        for batch in 0..<10 {
            sequences += try await harness.appendStored(ConformanceEvents.many(500, prefix: "backlog-\(batch)"))
        }
        try await harness.createGroup("backlogged")
        let first = try await harness.pollNow("backlogged", max: 10)
        #expect(first.map(\.sequence) == Array(sequences[0..<10]))
        // The store may take a little more than the batch at once, but not the 5,000-event backlog.
        var rows = try await harness.fixture.groupRowCount("backlogged", in: store)
        #expect(rows <= 20, "a poll of 10 over 5,000 events keeps \(rows) rows")

        let second = try await store.poll(group: "backlogged", max: 10, wait: .zero, acknowledging: first.map(\.id))
        #expect(second.deliveries.map(\.sequence) == Array(sequences[10..<20]))
        rows = try await harness.fixture.groupRowCount("backlogged", in: store)
        #expect(rows <= 20, "acknowledged events keep no rows: \(rows)")
        let info = try #require(try await store.groupInfo(named: "backlogged"))
        #expect(info.lag == 4_990)
    }
}
