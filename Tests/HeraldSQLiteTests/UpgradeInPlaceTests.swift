import Foundation
import HeraldSQLite
import HeraldTesting
import Testing

/// A store written by an earlier version opens and goes on where it was: the schema is upgraded in place, and
/// every event, group position, lease, dead letter, schedule and process record survives. The fixture and how
/// it was made: `Fixtures/README.md`.
@Suite struct UpgradeInPlaceTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/herald-v4.db")

    /// Opens a copy of the fixture, so that the committed file never changes.
    func withFixtureStore(_ body: (SQLiteEventStore) async throws -> Void) async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("herald.db").path
            try FileManager.default.copyItem(atPath: Self.fixture.path, toPath: path)
            try await withStore(at: path) { store in try await body(store) }
        }
    }

    @Test func theEventsOfASchemaVersion4StoreReadBackExactly() async throws {
        try await withFixtureStore { store in
            // 58 events were in the log; four delayed payment timeouts of the shop, due seconds after the fixture
            // was written, are appended when the store opens; fx-5 waits for 2099.
            #expect(try await store.lastSequence() == 62)
            let events = try await store.read(after: 0, filter: .all, limit: 100).events
            #expect(events.map(\.sequence) == Array(1...62))
            #expect(events.suffix(4).allSatisfy { $0.event.type == "shop.order.payment-timeout" })
            let fixture = Dictionary(
                uniqueKeysWithValues: events.filter { $0.event.source == "/fixture" }.map { ($0.event.id, $0.event) })
            #expect(fixture.keys.sorted() == ["fx-1", "fx-2", "fx-3", "fx-4"], "fx-5 waits for its deliverat")
            #expect(fixture["fx-1"]?.time == RFC3339.parse("2026-12-07T05:00:00Z"))
            #expect(fixture["fx-1"]?.partitionKey == "order-1")
            #expect(fixture["fx-1"]?.data == Data(#"{"total":42}"#.utf8))
            #expect(fixture["fx-2"]?.dataContentType == "text/plain")
            #expect(fixture["fx-2"]?.data == Data("paid in full".utf8))
            #expect(fixture["fx-3"]?.data == Data([0, 1, 2, 255]))
            #expect(fixture["fx-4"]?.extensions["extflag"] == true)
            #expect(fixture["fx-4"]?.extensions["extcount"] == 7)
            // Appending goes on after the last sequence.
            let appended = try await store.append(Event(id: "after-upgrade", source: "/fixture", type: "orders.placed"))
            #expect(appended.sequence == 63)
        }
    }

    @Test func groupsResumeWithTheirPositionsLeasesAndDeadLetters() async throws {
        try await withFixtureStore { store in
            #expect(try await store.groups().count == 8)
            // fx-1 was acked, fx-2's lease has long run out and it comes again, fx-4 comes for the first time.
            let billing = try await store.poll(group: "fixture.billing", max: 10, wait: .zero)
            #expect(billing.map(\.event.id) == ["fx-2", "fx-4"])
            #expect(billing.map(\.attempt) == [2, 1])
            // Nothing before them waits: fx-1's ack survived (the group's 1 s leases leave no time to assert on
            // acking these two under a loaded machine).
            #expect(try await store.groupInfo(named: "fixture.billing")?.lag == 2)
            // Ordered: one event of the partition key order-1 at a time, in order.
            let audit = try await store.poll(group: "fixture.audit", max: 10, wait: .zero)
            #expect(audit.map(\.event.id) == ["fx-1"])
            let letters = try await store.deadLetters(group: "fixture.payments", limit: 10)
            #expect(letters.map(\.stored.event.id) == ["fx-3"])
            #expect(letters.first?.lastError == "card declined")
            #expect(letters.first?.attempts == 1)
        }
    }

    @Test func schedulesAndProcessRecordsSurvive() async throws {
        try await withFixtureStore { store in
            let schedules = Dictionary(
                uniqueKeysWithValues: try await store.schedules().map { ($0.schedule.name, $0.schedule) })
            #expect(schedules.keys.sorted() == ["fixture.heartbeat", "fixture.nightly"])
            #expect(schedules["fixture.heartbeat"]?.isPaused == true)
            #expect(schedules["fixture.nightly"]?.isPaused == false)
            #expect(schedules["fixture.nightly"]?.event.type == "report.due")
            let orders = try await store.processRecords("order", after: nil, limit: 100)
            #expect(orders.count == 6)
            #expect(orders.allSatisfy { $0.isFinished })
        }
    }
}
