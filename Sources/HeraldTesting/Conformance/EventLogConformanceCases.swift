import Foundation
import Herald
import Testing

extension EventStoreConformance {
    /// The cases of the event log: appends, reads, following, idempotence, streams, delays, retention.
    static let eventLogCases: [ConformanceCase] = [
        ConformanceHarness.conformanceCase(
            "published events read back in order with data and extensions intact",
            readsBackEventsIntact
        ),
        ConformanceHarness.conformanceCase(
            "concurrent appenders lose and duplicate nothing",
            concurrentAppendersLoseNothing
        ),
        ConformanceHarness.conformanceCase(
            "reads page by page, with nextAfter past the events the filter skipped",
            readsInPagesPastSkippedEvents
        ),
        ConformanceHarness.conformanceCase(
            "a follower reads the backlog then live events without skipping or repeating",
            followerNeverSkipsOrRepeats
        ),
        ConformanceHarness.conformanceCase(
            "a duplicate append stores nothing and returns the original sequence",
            duplicateAppendReturnsOriginalSequence
        ),
        ConformanceHarness.conformanceCase(
            "an expected-version conflict names both versions and stores nothing of the batch",
            versionConflictStoresNothing
        ),
        ConformanceHarness.conformanceCase(
            "an invalid event in a batch stores nothing of the batch",
            invalidEventStoresNothing
        ),
        ConformanceHarness.conformanceCase(
            "a delayed event stays invisible until due, then gets a sequence",
            requires: .controllableClock,
            delayedEventInvisibleUntilDue
        ),
        ConformanceHarness.conformanceCase(
            "waits for events end at their timeout on the store's clock, and on cancellation",
            requires: .controllableClock,
            waitsEndAtTimeoutOrCancellation
        ),
        ConformanceHarness.conformanceCase(
            "retention by count keeps the newest and never takes unacknowledged events unless told to",
            retentionByCountKeepsUnacknowledged
        ),
        ConformanceHarness.conformanceCase(
            "retention by age removes events stored longer ago than the limit",
            requires: .controllableClock,
            retentionByAgeRemovesOldEvents
        ),
        ConformanceHarness.conformanceCase(
            "a reopened store keeps events, scheduled events, groups and acknowledgements",
            requires: [.durableRestart, .controllableClock],
            reopenedStoreKeepsEverything
        ),
    ]

    static func readsBackEventsIntact(_ harness: ConformanceHarness) async throws {
        let events = (0..<40).map { n in
            var event = ConformanceEvents.make(n, subject: "order-\(n % 4)")
            event.time = ConformanceEvents.time
            event.dataContentType = "application/json"
            event.extensions["tenant"] = .string("acme")
            event.extensions["priority"] = .integer(Int32(n))
            event.extensions["urgent"] = .boolean(n.isMultiple(of: 2))
            return event
        }
        let batched = try await harness.appendStored(Array(events[..<20]))
        var single: [Int64] = []
        for event in events[20...] {
            single.append(try #require(try await harness.store.append(event).sequence))
        }
        let sequences = batched + single
        #expect(zip(sequences, sequences.dropFirst()).allSatisfy { $0 < $1 }, "sequences must increase: \(sequences)")

        let stored = try await harness.readAll()
        #expect(stored.map(\.sequence) == sequences)
        #expect(stored.map(\.event) == events)
        #expect(try await harness.store.lastSequence() == sequences.last)
        #expect(try await harness.store.streamVersion("order-1") == 10)
        #expect(try await harness.store.streamVersion("order-unknown") == 0)
    }

    static func concurrentAppendersLoseNothing(_ harness: ConformanceHarness) async throws {
        let store = harness.store
        let tasks = 8
        let perTask = 50
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<tasks {
                group.addTask {
                    let events = ConformanceEvents.many(perTask, prefix: "appender-\(task)")
                    for event in events[..<(perTask / 2)] { _ = try await store.append(event) }
                    _ = try await store.append(Array(events[(perTask / 2)...]))
                }
            }
            try await group.waitForAll()
        }
        let stored = try await harness.readAll()
        #expect(stored.count == tasks * perTask)
        #expect(Set(stored.map(\.event.id)).count == tasks * perTask, "every event exactly once")
        #expect(zip(stored, stored.dropFirst()).allSatisfy { $0.sequence < $1.sequence })
    }

    static func readsInPagesPastSkippedEvents(_ harness: ConformanceHarness) async throws {
        let events = (0..<30).map { n in
            ConformanceEvents.make(n, type: n.isMultiple(of: 3) ? "conformance.wanted" : "conformance.other")
        }
        let sequences = try await harness.appendStored(events)
        let filter = EventFilter(topic: try TopicPattern("conformance.wanted"))

        let first = try await harness.store.read(after: 0, filter: filter, limit: 4)
        #expect(first.events.map(\.sequence) == [0, 3, 6, 9].map { sequences[$0] })
        #expect(first.nextAfter == sequences[9])

        let all = try await harness.readAll(filter: filter)
        #expect(all.map(\.event.id) == stride(from: 0, to: 30, by: 3).map { "event-\($0)" })

        let tail = try await harness.store.read(after: sequences[27], filter: filter, limit: 10)
        #expect(tail.events.isEmpty)
        #expect(tail.nextAfter == sequences[29], "nextAfter must pass the skipped events")

        let bySubject = try await harness.store.read(
            after: 0,
            filter: EventFilter(source: ConformanceEvents.source, subject: "none"),
            limit: 10
        )
        #expect(bySubject.events.isEmpty)

        for limit in [0, 10_001] {
            let error = await #expect(throws: EventLogError.self, "limit \(limit)") {
                try await harness.store.read(after: 0, filter: .all, limit: limit)
            }
            #expect(error?.code == .invalidArgument)
        }
    }

    static func followerNeverSkipsOrRepeats(_ harness: ConformanceHarness) async throws {
        let store = harness.store
        try await harness.appendStored(ConformanceEvents.many(100, prefix: "backlog"))
        let writers = 4
        let perWriter = 250
        let total = 100 + writers * perWriter
        let follower = Task {
            var seen: [StoredEvent] = []
            for try await stored in store.follow(after: 0) {
                seen.append(stored)
                if seen.count == total { break }
            }
            return seen
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    for event in ConformanceEvents.many(perWriter, prefix: "live-\(writer)") {
                        _ = try await store.append(event)
                    }
                }
            }
            try await group.waitForAll()
        }
        let seen = try await withTimeLimit(testHangLimit, "following \(total) events") {
            try await follower.value
        }
        #expect(zip(seen, seen.dropFirst()).allSatisfy { $0.sequence < $1.sequence }, "never repeats or reorders")
        #expect(Set(seen.map(\.event.id)).count == total, "never skips")
    }

    static func duplicateAppendReturnsOriginalSequence(_ harness: ConformanceHarness) async throws {
        let store = harness.store
        let original = ConformanceEvents.make(1, id: "once")
        let sequence = try #require(try await store.append(original).sequence)
        var changed = ConformanceEvents.make(99, id: "once")
        changed.type = "conformance.changed"
        #expect(try await store.append(changed).outcome == .duplicate(sequence: sequence))

        let twin = ConformanceEvents.make(2, id: "twin")
        let results = try await store.append([twin, ConformanceEvents.make(3, id: "twin"), ConformanceEvents.make(4)])
        let twinSequence = try #require(results[0].sequence)
        #expect(results[1].outcome == .duplicate(sequence: twinSequence), "a duplicate inside one batch too")
        #expect(results[2].outcome == .stored(sequence: try #require(results[2].sequence)))

        var otherSource = ConformanceEvents.make(5, id: "once")
        otherSource.source = "/herald/conformance/other"
        #expect(!(try await store.append(otherSource).isDuplicate), "the same id from another source is new")

        let later = ConformanceEvents.make(6, id: "later", deliverAt: harness.wallClock.now.addingTimeInterval(86_400))
        #expect(try await store.append(later).outcome == .scheduled)
        #expect(try await store.append(later).outcome == .duplicateScheduled)

        let stored = try await harness.readAll()
        #expect(stored.map(\.event.id) == ["once", "twin", "event-4", "once"])
        #expect(stored.first?.event == original, "the original stays as it was")
    }

    static func versionConflictStoresNothing(_ harness: ConformanceHarness) async throws {
        let store = harness.store
        let stream = "order-42"
        let opened = (0..<2).map { ConformanceEvents.make($0, id: "open-\($0)", subject: stream) }
        _ = try await store.append(opened, expecting: .noStream(stream))
        #expect(try await store.streamVersion(stream) == 2)
        let before = try await store.lastSequence()

        let late = (2..<4).map { ConformanceEvents.make($0, id: "late-\($0)", subject: stream) }
        let conflict = await #expect(throws: EventLogError.self) {
            try await store.append(late, expecting: StreamExpectation(stream: stream, version: 5))
        }
        #expect(conflict?.code == .versionConflict)
        let message = conflict?.message ?? ""
        #expect(message.contains("5") && message.contains("2"), "names both versions: \(message)")
        #expect(try await store.lastSequence() == before, "nothing of the batch was stored")

        let outside = [ConformanceEvents.make(9, id: "outside", subject: "order-7")]
        let mismatch = await #expect(throws: EventLogError.self) {
            try await store.append(outside, expecting: StreamExpectation(stream: stream, version: 2))
        }
        #expect(mismatch?.code == .invalidArgument)

        let results = try await store.append(late, expecting: StreamExpectation(stream: stream, version: 2))
        #expect(results.allSatisfy { $0.sequence != nil })
        #expect(try await store.streamVersion(stream) == 4)
        #expect(try await harness.readAll().map(\.event.id) == ["open-0", "open-1", "late-2", "late-3"])
    }

    static func invalidEventStoresNothing(_ harness: ConformanceHarness) async throws {
        var invalid = ConformanceEvents.make(1, id: "invalid")
        invalid.type = ""
        let batch = [ConformanceEvents.make(0), invalid, ConformanceEvents.make(2)]
        let error = await #expect(throws: EventBatchError.self) { try await harness.store.append(batch) }
        #expect(error?.index == 1)
        #expect(error?.underlying is EventValidationError)
        #expect(try await harness.store.lastSequence() == 0)
        #expect(!(try await harness.store.append(batch[0]).isDuplicate), "the valid events were not stored")
    }

    static func delayedEventInvisibleUntilDue(_ harness: ConformanceHarness) async throws {
        let store = harness.store
        try await harness.createGroup("delayed")
        let due = harness.wallClock.now.addingTimeInterval(60)
        #expect(try await store.append(ConformanceEvents.make(1, id: "delayed", deliverAt: due)).outcome == .scheduled)
        #expect(try await store.lastSequence() == 0)
        #expect(try await harness.readAll().isEmpty)
        #expect(try await harness.pollNow("delayed").isEmpty)
        #expect(try await store.groupInfo(named: "delayed")?.lag == 0)

        let nowSequence = try #require(try await store.append(ConformanceEvents.make(2, id: "now")).sequence)
        let waiter = Task { try await store.waitForEvents(after: nowSequence, timeout: .seconds(120)) }
        try await harness.clock.waitForSleepers(1)
        harness.advance(by: .seconds(60))
        #expect(try await waiter.value, "a waiter wakes when a scheduled event falls due")

        let stored = try await harness.readAll()
        #expect(stored.map(\.event.id) == ["now", "delayed"])
        #expect((stored.last?.sequence ?? 0) > nowSequence)
        #expect(try await harness.drain("delayed").map(\.event.id) == ["now", "delayed"])
    }

    static func waitsEndAtTimeoutOrCancellation(_ harness: ConformanceHarness) async throws {
        let store = harness.store
        try await harness.createGroup("waiting")
        let waiter = Task { try await store.waitForEvents(after: 0, timeout: .seconds(5)) }
        let poller = Task { try await store.poll(group: "waiting", max: 10, wait: .seconds(5)) }
        try await harness.clock.waitForSleepers(2)
        harness.advance(by: .seconds(5))
        #expect(try await waiter.value == false)
        #expect(try await poller.value.isEmpty)

        let cancelled = Task { try await store.waitForEvents(after: 0, timeout: .seconds(3_600)) }
        let cancelledPoll = Task { try await store.poll(group: "waiting", max: 10, wait: .seconds(3_600)) }
        try await harness.clock.waitForSleepers(2)
        cancelled.cancel()
        cancelledPoll.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        await #expect(throws: CancellationError.self) { try await cancelledPoll.value }

        _ = try await harness.appendStored([ConformanceEvents.make(1)])
        #expect(try await store.waitForEvents(after: 0, timeout: .seconds(5)), "returns at once when events are there")
    }

    static func retentionByCountKeepsUnacknowledged(_ harness: ConformanceHarness) async throws {
        let store = harness.store
        try await harness.createGroup("auditors", topic: "audit.>")
        try await harness.appendStored(ConformanceEvents.many(10, type: "metrics.cpu", prefix: "metric"))
        try await harness.appendStored(ConformanceEvents.many(5, type: "audit.login", prefix: "audit"))
        try await harness.appendStored([ConformanceEvents.make(0, type: "other.kept", id: "unpoliced")])
        let policies = [
            RetentionPolicy(topic: try TopicPattern("metrics.>"), maxCount: 3),
            RetentionPolicy(topic: try TopicPattern("audit.>"), maxCount: 1),
        ]
        #expect(try await store.applyRetention(policies) == 7)
        let kept = try await harness.readAll().map(\.event.id)
        #expect(kept == ["metric-7", "metric-8", "metric-9"] + (0..<5).map { "audit-\($0)" } + ["unpoliced"])

        #expect(try await harness.drain("auditors").count == 5)
        #expect(try await store.applyRetention(policies) == 4, "acknowledged events may go")

        try await harness.createGroup("late", topic: "metrics.>")
        #expect(try await store.applyRetention(policies) == 0)
        let forced = RetentionPolicy(topic: try TopicPattern("metrics.>"), maxCount: 1, removesUnacknowledged: true)
        #expect(try await store.applyRetention([forced]) == 2)
        #expect(try await harness.readAll().map(\.event.id) == ["metric-9", "audit-4", "unpoliced"])
        #expect(try await harness.drain("late").map(\.event.id) == ["metric-9"])
    }

    static func retentionByAgeRemovesOldEvents(_ harness: ConformanceHarness) async throws {
        let store = harness.store
        try await harness.createGroup("keeper", topic: "kept.>")
        try await harness.appendStored(ConformanceEvents.many(3, type: "aged.old", prefix: "old"))
        try await harness.appendStored(ConformanceEvents.many(2, type: "kept.old", prefix: "held"))
        harness.advance(by: .seconds(100))
        try await harness.appendStored(ConformanceEvents.many(2, type: "aged.new", prefix: "new"))
        let policy = RetentionPolicy(topic: try TopicPattern(">"), maxAge: .seconds(50))
        #expect(try await store.applyRetention([policy]) == 3)
        #expect(try await harness.readAll().map(\.event.id) == ["held-0", "held-1", "new-0", "new-1"])
    }

    static func reopenedStoreKeepsEverything(_ harness: ConformanceHarness) async throws {
        try await harness.createGroup("survivors")
        let sequences = try await harness.appendStored(ConformanceEvents.many(10))
        let due = harness.wallClock.now.addingTimeInterval(60)
        _ = try await harness.store.append(ConformanceEvents.make(10, id: "delayed", deliverAt: due))
        let first = try await harness.store.poll(group: "survivors", max: 5, wait: .zero)
        #expect(try await harness.store.ack(group: "survivors", deliveryIDs: first[..<3].map(\.id)) == 3)
        _ = try await harness.store.nack(
            group: "survivors", deliveryIDs: first[3...].map(\.id), delay: .zero, error: "x")

        try await harness.reopen()
        let store = harness.store
        #expect(try await harness.readAll().map(\.sequence) == sequences)
        #expect(try await store.append(ConformanceEvents.make(0)).isDuplicate)
        #expect(try await store.append(ConformanceEvents.make(10, id: "delayed", deliverAt: due)).isDuplicate)
        #expect(try await store.groupInfo(named: "survivors")?.lag == 7)
        let rest = try await harness.pollNow("survivors")
        #expect(rest.map(\.sequence) == Array(sequences[3...]))
        #expect(rest.map(\.attempt) == [2, 2, 1, 1, 1, 1, 1])

        harness.advance(by: .seconds(60))
        #expect(try await harness.readAll().map(\.event.id).last == "delayed")
    }
}
