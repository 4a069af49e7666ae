import Foundation
import Herald
import HeraldSQLite
import HeraldTesting
import Testing

/// Makes SQLite stores in a temporary directory for the conformance suite: durable across a reopen, and
/// driven by whatever clock the case passes.
struct SQLiteEventStoreFixture: EventStoreFixture {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-conformance-\(UUID())")

    var capabilities: Capabilities { [.durableRestart, .controllableClock, .countsGroupRows] }

    var path: String { directory.appendingPathComponent("events.sqlite").path }

    func groupRowCount(_ group: String, in store: any EventLog & ConsumerGroupStore) async throws -> Int {
        let store = try #require(store as? SQLiteEventStore)
        return try await store.groupRowCount(group)
    }

    func makeStore(clock: any WallClock) async throws -> any EventLog & ConsumerGroupStore {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return try await SQLiteEventStore.open(path: path, clock: clock)
    }

    func reopen(_ store: any EventLog & ConsumerGroupStore, clock: any WallClock) async throws
        -> any EventLog & ConsumerGroupStore
    {
        try await (store as? SQLiteEventStore)?.close()
        return try await SQLiteEventStore.open(path: path, clock: clock)
    }

    func tearDown(_ store: any EventLog & ConsumerGroupStore) async throws {
        try await (store as? SQLiteEventStore)?.close()
        try? FileManager.default.removeItem(at: directory)
    }
}

@Suite struct SQLiteEventStoreConformanceTests {
    @Test(arguments: EventStoreConformance.cases(supporting: SQLiteEventStoreFixture().capabilities))
    func conformance(_ testCase: ConformanceCase) async throws {
        try await testCase.run(SQLiteEventStoreFixture())
    }

    @Test(arguments: RouterConformance.cases(supporting: SQLiteEventStoreFixture().capabilities))
    func routerConformance(_ testCase: RouterConformanceCase) async throws {
        try await testCase.run(LocalDeliverySources(SQLiteEventStoreFixture()))
    }
}
