import Foundation
import Herald
import Testing

@Suite struct RetentionSelectionTests {
    static let now = Date(timeIntervalSince1970: 1_767_225_600)
    static let old = now.addingTimeInterval(-3_600)

    /// Whether each event, given newest first as (sequence, type), is deleted when every event is an hour old and
    /// the one policy lets everything older than a minute go.
    func deleted(
        _ events: [(Int64, String)], groups: [(topic: String, cursor: Int64)], pending: Set<Int64> = []
    ) throws -> (deleted: [Bool], damaged: [String]) {
        var selection = RetentionSelection(
            policies: [RetentionPolicy(topic: try TopicPattern(">"), maxAge: .seconds(60))], now: Self.now,
            groups: groups, pending: pending)
        let deleted = events.map { selection.deletes(sequence: $0.0, type: $0.1, storedAt: Self.old) }
        return (deleted, selection.damagedGroupTopics)
    }

    @Test func aGroupKeepsTheOldEventsOfItsTopicAfterItsCursor() throws {
        let outcome = try deleted(
            [(3, "billing.paid"), (2, "orders.placed"), (1, "billing.paid")],
            groups: [(topic: "billing.>", cursor: 1)])
        #expect(outcome.deleted == [false, true, true])
        #expect(outcome.damaged.isEmpty)
    }

    @Test func aPendingDeliveryKeepsItsEventWhateverTheCursor() throws {
        let outcome = try deleted(
            [(4, "billing.paid"), (3, "billing.paid")], groups: [(topic: "billing.>", cursor: 5)], pending: [4])
        #expect(outcome.deleted == [false, true])
    }

    /// A delete path fails closed: a group whose stored topic does not parse protects every event after its
    /// cursor, and is named so the store can log it.
    @Test func aGroupWhoseTopicDoesNotParseKeepsEveryEventAfterItsCursor() throws {
        let outcome = try deleted(
            [(3, "orders.placed"), (2, "billing.paid"), (1, "billing.paid")],
            groups: [(topic: "billing..damaged", cursor: 1)])
        #expect(outcome.deleted == [false, false, true])
        #expect(outcome.damaged == ["billing..damaged"])
    }

    @Test func maxCountKeepsTheNewestAndAnUnmatchedEventStays() throws {
        var selection = RetentionSelection(
            policies: [RetentionPolicy(topic: try TopicPattern("orders.>"), maxCount: 2)], now: Self.now, groups: [],
            pending: [])
        let deleted = (0...4).reversed().map { sequence in
            selection.deletes(
                sequence: Int64(sequence), type: sequence == 0 ? "billing.paid" : "orders.placed", storedAt: Self.old)
        }
        #expect(deleted == [false, false, true, true, false])
    }
}
