import Foundation
import HeraldSQLite
import HeraldTesting
import Testing

@Suite struct EventLogTests {
    @Test func readsBackEveryAttributeExactlyAsAppended() async throws {
        try await withTemporaryStore { store in
            var event = Event(
                id: "e-1",
                source: "/orders",
                type: "orders.placed",
                subject: "order-1",
                time: Date(timeIntervalSinceReferenceDate: 800_000_000.123456789),
                dataContentType: "application/octet-stream",
                dataSchema: "https://example.com/schema",
                extensions: [
                    "flag": true, "count": 42, "text": "hi\u{0}there", "bin": .binary(Data([0, 1, 2])),
                    "link": .uri("https://example.com"), "ref": .uriReference("/x"),
                    "when": .timestamp(Date(timeIntervalSinceReferenceDate: 1.000000001)),
                ],
                data: Data([0xFF, 0x00])
            )
            let empty = Event(id: "e-2", source: "/orders", type: "orders.placed", data: Data())
            event.partitionKey = "key"
            let results = try await store.append([event, empty])
            #expect(results.map(\.outcome) == [.stored(sequence: 1), .stored(sequence: 2)])
            let page = try await store.read(after: 0, filter: .all, limit: 10)
            #expect(page.events.map(\.event) == [event, empty])
            #expect(page.nextAfter == 2)
            #expect(try await store.lastSequence() == 2)
        }
    }

    @Test func storesNothingOfABatchWithAnInvalidEvent() async throws {
        try await withTemporaryStore { store in
            let invalid = Event(id: "", source: "/tests", type: "orders.placed")
            await #expect(throws: EventBatchError.self) {
                try await store.append([makeEvent("ok"), invalid])
            }
            let lastSequence = try await store.lastSequence()
            #expect(lastSequence == 0)
        }
    }

    @Test func appendsAreIdempotentBySourceAndIDAcrossAndWithinBatches() async throws {
        try await withTemporaryStore { store in
            let first = try await store.append(makeEvent("a"))
            #expect(first.outcome == .stored(sequence: 1))
            let again = try await store.append([makeEvent("a"), makeEvent("b"), makeEvent("b")])
            #expect(again.map(\.outcome) == [.duplicate(sequence: 1), .stored(sequence: 2), .duplicate(sequence: 2)])
            let otherSource = try await store.append(makeEvent("a", source: "/elsewhere"))
            #expect(otherSource.outcome == .stored(sequence: 3))
            #expect(try await store.read(after: 0, filter: .all, limit: 10).events.count == 3)
        }
    }

    @Test func streamExpectationRejectsAStaleVersionNamingBoth() async throws {
        try await withTemporaryStore { store in
            let stream = "order-7"
            _ = try await store.append(
                [makeEvent(subject: stream), makeEvent(subject: stream)],
                expecting: .noStream(stream)
            )
            #expect(try await store.streamVersion(stream) == 2)
            do {
                _ = try await store.append([makeEvent(subject: stream)], expecting: .noStream(stream))
                Issue.record("a stale expectation was accepted")
            } catch let error as EventLogError {
                #expect(error.code == .versionConflict)
                #expect(error.message.contains("version 2") && error.message.contains("expected 0"))
            }
            await #expect(throws: EventLogError.self) {
                try await store.append(
                    [makeEvent(subject: "other")], expecting: StreamExpectation(stream: stream, version: 2))
            }
            _ = try await store.append(
                [makeEvent(subject: stream)], expecting: StreamExpectation(stream: stream, version: 2))
            #expect(try await store.streamVersion(stream) == 3)
            #expect(try await store.lastSequence() == 3)
        }
    }

    /// The SQL a topic becomes (an index range, and the pattern's own matcher only when it has a `*` or
    /// starts with a wildcard) selects exactly the types ``TopicPattern/matches(_:)`` does, in reads and in
    /// consumer groups, including types at the edges of the range.
    @Test func topicsInSQLSelectExactlyWhatThePatternMatches() async throws {
        let types = [
            "orders", "orders.", "orders.a", "orders.a.b", "orders..a", "orders/x", "ordersx.y", "order.a",
            "a.orders.b", "orders-a.b", "orders.a.", "b",
        ]
        let patterns = [
            ">", "orders.>", "orders.*", "orders", "orders.a.>", "*.>", "*", "*.orders.>", "orders.*.b", "order.>",
        ]
        try await withTemporaryStore { store in
            var accepted: [String] = []
            for (index, type) in types.enumerated() {
                // A type the store refuses is not one a pattern can meet.
                if (try? await store.append(makeEvent("t\(index)", type: type))) != nil { accepted.append(type) }
            }
            #expect(accepted.count >= 9, "types accepted: \(accepted)")
            for text in patterns {
                let pattern = try TopicPattern(text)
                let read = try await store.read(after: 0, filter: EventFilter(topic: pattern), limit: 100)
                #expect(read.events.map(\.event.type) == accepted.filter(pattern.matches), "pattern \(text)")
                let group = ConsumerGroupConfiguration(name: "g\(patterns.firstIndex(of: text) ?? 0)", topic: pattern)
                _ = try await store.createGroup(group)
                let delivered = try await store.poll(group: group.name, max: 100, wait: .zero)
                #expect(delivered.map(\.event.type) == accepted.filter(pattern.matches), "group on \(text)")
            }
        }
    }

    @Test func readsFilterByTopicSourceSubjectAndTimeWithLimitAndNextAfter() async throws {
        try await withTemporaryStore { store in
            let noon = Date(timeIntervalSinceReferenceDate: 700_000_000)
            var timed = makeEvent("t", type: "orders.eu.shipped")
            timed.time = noon
            _ = try await store.append([
                makeEvent("1", type: "orders.eu.placed"), makeEvent("2", type: "billing.paid"),
                makeEvent("3", type: "orders.us.placed", subject: "s"), timed,
                makeEvent("5", type: "orders", source: "/other"),
            ])
            let placed = try await store.read(
                after: 0, filter: EventFilter(topic: try TopicPattern("orders.*.placed")), limit: 10)
            #expect(placed.events.map(\.event.id) == ["1", "3"])
            #expect(placed.nextAfter == 5)
            let firstOnly = try await store.read(
                after: 0, filter: EventFilter(topic: try TopicPattern("orders.>")), limit: 1)
            #expect(firstOnly.events.map(\.sequence) == [1])
            #expect(firstOnly.nextAfter == 1)
            let rest = try await store.read(
                after: 1, filter: EventFilter(topic: try TopicPattern("orders.>")), limit: 10)
            #expect(rest.events.map(\.event.id) == ["3", "t"])
            #expect(
                try await store.read(after: 0, filter: EventFilter(source: "/other"), limit: 10).events.map(\.sequence)
                    == [5])
            #expect(
                try await store.read(after: 0, filter: EventFilter(subject: "s"), limit: 10).events.map(\.sequence) == [
                    3
                ])
            let inTime = EventFilter(time: noon..<noon.addingTimeInterval(1))
            #expect(try await store.read(after: 0, filter: inTime, limit: 10).events.map(\.event.id) == ["t"])
            let exact = EventFilter(topic: try TopicPattern("orders"))
            #expect(try await store.read(after: 0, filter: exact, limit: 10).events.map(\.sequence) == [5])
        }
    }

    @Test func waitForEventsReturnsWhenAnotherTaskAppends() async throws {
        try await withTemporaryStore { store in
            #expect(try await store.waitForEvents(after: 0, timeout: .milliseconds(10)) == false)
            async let woke = store.waitForEvents(after: 0, timeout: .seconds(30))
            _ = try await store.append(makeEvent())
            #expect(try await woke)
        }
    }

    @Test func followerYieldsStoredThenNewEventsInOrder() async throws {
        try await withTemporaryStore { store in
            _ = try await store.append([makeEvent("1"), makeEvent("2")])
            let follower = Task {
                var ids: [String] = []
                for try await stored in store.follow() {
                    ids.append(stored.event.id)
                    if ids.count == 4 { break }
                }
                return ids
            }
            _ = try await store.append(makeEvent("3"))
            _ = try await store.append(makeEvent("4"))
            #expect(try await follower.value == ["1", "2", "3", "4"])
        }
    }

    @Test func scheduledEventEntersTheLogWhenDueAndWakesWaiters() async throws {
        let (testClock, wallClock) = makeTestClock()
        try await withTemporaryStore(clock: wallClock) { store in
            let later = wallClock.now.addingTimeInterval(60)
            let scheduled = try await store.append(makeEvent("later", deliverAt: later))
            #expect(scheduled.outcome == .scheduled)
            #expect(try await store.append(makeEvent("later")).outcome == .duplicateScheduled)
            _ = try await store.append(makeEvent("now"))
            #expect(try await store.read(after: 0, filter: .all, limit: 10).events.map(\.event.id) == ["now"])

            async let woke = store.waitForEvents(after: 1, timeout: .seconds(30))
            try await testClock.waitForSleepers(1)
            testClock.advance(by: .seconds(60))
            #expect(try await woke)
            let page = try await store.read(after: 0, filter: .all, limit: 10)
            #expect(page.events.map(\.event.id) == ["now", "later"])
            #expect(page.events.map(\.sequence) == [1, 2])
            #expect(try await store.append(makeEvent("later")).outcome == .duplicate(sequence: 2))
        }
    }

    @Test func retentionRemovesOldEventsButKeepsWhatAGroupHasNotAcknowledged() async throws {
        let (testClock, wallClock) = makeTestClock()
        try await withTemporaryStore(clock: wallClock) { store in
            _ = try await store.createGroup(
                ConsumerGroupConfiguration(name: "billing", topic: try TopicPattern("billing.>")))
            _ = try await store.append([
                makeEvent("o1"), makeEvent("o2"), makeEvent("b1", type: "billing.paid"), makeEvent("o3"),
            ])
            testClock.advance(by: .seconds(3_600))
            _ = try await store.append(makeEvent("o4"))
            let policies = [
                RetentionPolicy(topic: try TopicPattern("orders.>"), maxCount: 3),
                RetentionPolicy(topic: try TopicPattern("billing.>"), maxAge: .seconds(60)),
            ]
            #expect(try await store.applyRetention(policies) == 1)
            #expect(
                try await store.read(after: 0, filter: .all, limit: 10).events.map(\.event.id) == [
                    "o2", "b1", "o3", "o4",
                ])
            let removing = [
                RetentionPolicy(topic: try TopicPattern("billing.>"), maxAge: .seconds(60), removesUnacknowledged: true)
            ]
            #expect(try await store.applyRetention(removing) == 1)
            #expect(try await store.groupInfo(named: "billing")?.lag == 0)
            #expect(try await store.lastSequence() == 5)
        }
    }

    /// On a delete path a damaged row fails closed: a group whose stored topic no longer parses keeps every event
    /// after its cursor, where it once lost its protection and its unread events went.
    @Test func retentionKeepsTheUnreadEventsOfAGroupWhoseStoredTopicNoLongerParses() async throws {
        let (testClock, wallClock) = makeTestClock()
        try await withTemporaryStore(clock: wallClock) { store in
            _ = try await store.createGroup(
                ConsumerGroupConfiguration(name: "billing", topic: try TopicPattern("billing.>")))
            _ = try await store.append([makeEvent("b1", type: "billing.paid"), makeEvent("o1")])
            try await store.transaction { tx in
                try await tx.execute("UPDATE consumer_groups SET topic = 'billing..damaged' WHERE name = 'billing'")
            }
            testClock.advance(by: .seconds(3_600))
            let policies = [RetentionPolicy(topic: try TopicPattern(">"), maxAge: .seconds(60))]
            #expect(try await store.applyRetention(policies) == 0)
            #expect(try await store.read(after: 0, filter: .all, limit: 10).events.map(\.event.id) == ["b1", "o1"])
        }
    }
}
