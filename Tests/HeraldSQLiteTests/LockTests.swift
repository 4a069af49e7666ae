import Foundation
import Herald
import HeraldSQLite
import HeraldTesting
import Testing

/// What the SQLite store adds to the lock conformance suite: the migration of older files, and the
/// errors of a closed store.
@Suite struct LockTests {
    @Test func aVersionOneDatabaseGetsTheLocksSchedulesAndProcessesTables() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("events.sqlite").path
            // Make the file a version 1 database: the schema before locks, schedules and process state, and
            // before consumer groups kept their leases in memory (version 5).
            try await withStore(at: path) { store in
                _ = try await store.append(makeEvent("before-locks"))
                try await store.transaction { tx in
                    try await tx.execute("DROP TABLE locks")
                    try await tx.execute("DROP TABLE schedules")
                    try await tx.execute("DROP TABLE processes")
                    try await tx.execute("ALTER TABLE consumer_groups DROP COLUMN taken")
                    try await tx.execute("ALTER TABLE consumer_groups DROP COLUMN holes")
                    try await tx.execute("ALTER TABLE group_pending ADD COLUMN delivery_id TEXT")
                    try await tx.execute(
                        "CREATE INDEX group_pending_by_delivery ON group_pending (group_id, delivery_id)")
                    try await tx.execute("PRAGMA user_version = 1")
                }
            }
            try await withStore(at: path) { store in
                let lease = try #require(try await store.acquire("migrated", owner: "a", ttl: .seconds(60)))
                #expect(try await store.holder(of: "migrated") == lease)
                let schedule = Schedule(
                    name: "migrated", trigger: .once(Date()), event: EventTemplate(type: "t", source: "/s"))
                #expect(try await store.saveSchedule(schedule).created)
                try await store.saveProcess(
                    "migrated", key: "k", document: Data(), isFinished: false, expectedVersion: 0, publishing: [])
                #expect(try await store.processRecord("migrated", key: "k")?.version == 1)
                #expect(
                    try await store.read(after: 0, filter: .all, limit: 10).events.map(\.event.id) == ["before-locks"])
            }
        }
    }

    @Test func lockCallsOnAClosedStoreAreErrors() async throws {
        let store = try await SQLiteEventStore.openTemporary()
        let lease = try #require(try await store.acquire("closing", owner: "a", ttl: .seconds(60)))
        try await store.close()
        let operations: [(String, @Sendable () async throws -> Void)] = [
            ("acquire", { _ = try await store.acquire("closing", owner: "b", ttl: .seconds(60)) }),
            ("renew", { _ = try await store.renew(lease, ttl: .seconds(60)) }),
            ("release", { _ = try await store.release(lease) }),
            ("holder", { _ = try await store.holder(of: "closing") }),
        ]
        for (name, operation) in operations {
            let error = await #expect(throws: EventLogError.self, "\(name) after close") { try await operation() }
            #expect(error?.code == .closed, "\(name): \(String(describing: error))")
        }
    }
}
