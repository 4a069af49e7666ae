import Foundation
import Testing

@testable import Herald

@Suite struct InMemoryConsumerGroupTests {
    let start = Date(timeIntervalSince1970: 1_767_225_600)

    func log(_ events: [Event]) throws -> InMemoryLog {
        var log = InMemoryLog()
        _ = try log.append(events, expecting: nil, now: start)
        return log
    }

    func event(_ id: String, key: String? = nil) -> Event {
        var event = Event(id: id, source: "/tests", type: "tests.item")
        event.partitionKey = key
        return event
    }

    func group(ordered: Bool = false, maxAttempts: Int = 3, over log: InMemoryLog) throws -> InMemoryConsumerGroup {
        let configuration = ConsumerGroupConfiguration(
            name: "tests",
            topic: try TopicPattern(">"),
            maxAttempts: maxAttempts,
            ackTimeout: .seconds(30),
            ordered: ordered
        )
        return InMemoryConsumerGroup(configuration: configuration, log: log)
    }

    func poll(_ group: inout InMemoryConsumerGroup, at now: Date, log: InMemoryLog) -> [Delivery] {
        group.poll(max: 10, now: now, log: log) { sequence, attempt in "d-\(sequence)-\(attempt)" }
    }

    @Test func leaseExpiresExactlyAtItsEndAndCountsAsAnAttempt() throws {
        let log = try log([event("a")])
        var group = try group(maxAttempts: 2, over: log)
        let first = poll(&group, at: start, log: log)
        #expect(first.map(\.id) == ["d-1-1"])
        #expect(group.nextWake(now: start) == start.addingTimeInterval(30))
        #expect(poll(&group, at: start.addingTimeInterval(29), log: log).isEmpty)
        #expect(group.inFlight(now: start.addingTimeInterval(29)) == 1)

        #expect(poll(&group, at: start.addingTimeInterval(30), log: log).map(\.id) == ["d-1-2"])
        group.expireLeases(now: start.addingTimeInterval(60))
        #expect(group.deadLetters.values.map(\.lastError) == ["lease expired after 30.0 seconds"])
        #expect(group.pending.isEmpty)
    }

    @Test func nackDelayIsTheNextWakeAndKeepsTheLastError() throws {
        let log = try log([event("a")])
        var group = try group(over: log)
        let delivery = try #require(poll(&group, at: start, log: log).first)
        let nacked = group.nack([delivery.id], delay: .seconds(5), error: "busy", now: start)
        #expect(nacked == 1)
        #expect(group.nextWake(now: start) == start.addingTimeInterval(5))
        #expect(group.pending[1]?.lastError == "busy")
        #expect(poll(&group, at: start.addingTimeInterval(5), log: log).map(\.attempt) == [2])
    }

    @Test func deadLetteredEventNoLongerHoldsItsKey() throws {
        let log = try log([event("a1", key: "a"), event("a2", key: "a")])
        var group = try group(ordered: true, maxAttempts: 1, over: log)
        let first = poll(&group, at: start, log: log)
        #expect(first.map(\.sequence) == [1])
        _ = group.nack(first.map(\.id), delay: .zero, error: "poison", now: start)
        #expect(poll(&group, at: start, log: log).map(\.sequence) == [2])
    }

    @Test func heldEventsArePendingAndCountInLag() throws {
        let log = try log([event("a1", key: "a"), event("a2", key: "a"), event("a3", key: "a")])
        var group = try group(ordered: true, over: log)
        #expect(poll(&group, at: start, log: log).map(\.sequence) == [1])
        #expect(group.cursor == 3)
        #expect(group.pending.count == 3)
        #expect(group.lag(in: log) == 3)
        #expect(group.inFlight(now: start) == 1)
    }

    @Test func forgottenEventsLoseTheirLeases() throws {
        let log = try log([event("a")])
        var group = try group(over: log)
        let delivery = try #require(poll(&group, at: start, log: log).first)
        group.forget([delivery.sequence])
        let acked = group.ack([delivery.id], now: start)
        #expect(acked == 0)
        #expect(group.lag(in: log) == 0)
    }
}

@Suite struct InMemoryLogTests {
    let start = Date(timeIntervalSince1970: 1_767_225_600)

    func event(_ id: String, deliverAt: Date? = nil) -> Event {
        var event = Event(id: id, source: "/tests", type: "tests.item", subject: "stream")
        event.deliverAt = deliverAt
        return event
    }

    @Test func dueEventsAreStoredAtTheirDueTimeInDueOrder() throws {
        var log = InMemoryLog()
        let results = try log.append(
            [
                event("late", deliverAt: start.addingTimeInterval(20)),
                event("early", deliverAt: start.addingTimeInterval(10)),
                event("early-too", deliverAt: start.addingTimeInterval(10)),
            ],
            expecting: nil,
            now: start
        )
        #expect(results.map(\.outcome) == [.scheduled, .scheduled, .scheduled])
        #expect(log.nextDue == start.addingTimeInterval(10))
        #expect(log.streamVersion("stream") == 0, "scheduled events are not in the stream yet")

        let promoted = log.promoteDue(now: start.addingTimeInterval(25))
        #expect(promoted)
        #expect(log.records.map(\.stored.event.id) == ["early", "early-too", "late"])
        #expect(log.records.map(\.storedAt) == [10, 10, 20].map { start.addingTimeInterval($0) })
        #expect(log.sequenceBefore(storedAt: start.addingTimeInterval(15)) == 2)
        #expect(log.nextDue == nil)
    }

    @Test func aScheduledDuplicateInsideOneBatchIsReported() throws {
        var log = InMemoryLog()
        let due = start.addingTimeInterval(10)
        let results = try log.append([event("x", deliverAt: due), event("x")], expecting: nil, now: start)
        #expect(results.map(\.outcome) == [.scheduled, .duplicateScheduled])
    }

    @Test func removedEventsLeaveTheirStreamAndMayBeAppendedAgain() throws {
        var log = InMemoryLog()
        _ = try log.append([event("a"), event("b")], expecting: .noStream("stream"), now: start)
        log.remove([1])
        #expect(log.streamVersion("stream") == 1)
        #expect(log.lastSequence == 2)
        let again = try log.append([event("a")], expecting: nil, now: start)
        #expect(again.map(\.outcome) == [.stored(sequence: 3)])
    }
}
