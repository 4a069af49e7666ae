import Foundation
import Herald
import HeraldSQLite
import HeraldTesting
import Testing

/// Makes SQLite stores in a temporary directory for the lock conformance suite: durable across a reopen,
/// and driven by whatever clock the case passes.
struct SQLiteLockStoreFixture: LockStoreFixture {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-lock-conformance-\(UUID())")

    var capabilities: Capabilities { [.durableRestart, .controllableClock] }

    var path: String { directory.appendingPathComponent("events.sqlite").path }

    func makeStore(clock: any WallClock) async throws -> any LockStore {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return try await SQLiteEventStore.open(path: path, clock: clock)
    }

    func reopen(_ store: any LockStore, clock: any WallClock) async throws -> any LockStore {
        try await (store as? SQLiteEventStore)?.close()
        return try await SQLiteEventStore.open(path: path, clock: clock)
    }

    func tearDown(_ store: any LockStore) async throws {
        try await (store as? SQLiteEventStore)?.close()
        try? FileManager.default.removeItem(at: directory)
    }
}

@Suite struct SQLiteLockStoreConformanceTests {
    @Test(arguments: LockStoreConformance.cases(supporting: SQLiteLockStoreFixture().capabilities))
    func conformance(_ testCase: LockStoreConformanceCase) async throws {
        try await testCase.run(SQLiteLockStoreFixture())
    }
}
