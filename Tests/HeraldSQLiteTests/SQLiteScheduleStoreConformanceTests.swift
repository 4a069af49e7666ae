import Foundation
import Herald
import HeraldSQLite
import HeraldTesting
import Testing

/// Makes SQLite stores in a temporary directory for the schedule conformance suite.
struct SQLiteScheduleStoreFixture: ScheduleStoreFixture {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-schedules-\(UUID())")

    var capabilities: Capabilities { [.durableRestart, .controllableClock] }

    var path: String { directory.appendingPathComponent("events.sqlite").path }

    func makeStore(clock: any WallClock) async throws -> any ScheduleStore {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return try await SQLiteEventStore.open(path: path, clock: clock)
    }

    func reopen(_ store: any ScheduleStore, clock: any WallClock) async throws -> any ScheduleStore {
        try await (store as? SQLiteEventStore)?.close()
        return try await SQLiteEventStore.open(path: path, clock: clock)
    }

    func tearDown(_ store: any ScheduleStore) async throws {
        try await (store as? SQLiteEventStore)?.close()
        try? FileManager.default.removeItem(at: directory)
    }
}

@Suite struct SQLiteScheduleStoreConformanceTests {
    @Test(arguments: ScheduleStoreConformance.cases(supporting: SQLiteScheduleStoreFixture().capabilities))
    func conformance(_ testCase: ScheduleStoreConformanceCase) async throws {
        try await testCase.run(SQLiteScheduleStoreFixture())
    }
}
