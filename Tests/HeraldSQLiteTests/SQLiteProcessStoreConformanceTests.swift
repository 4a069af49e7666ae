import Foundation
import Herald
import HeraldSQLite
import HeraldTesting
import Testing

/// Makes SQLite stores in a temporary directory for the process conformance suite.
struct SQLiteProcessStoreFixture: ProcessStoreFixture {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-processes-\(UUID())")

    var capabilities: Capabilities { [.durableRestart, .controllableClock] }

    var path: String { directory.appendingPathComponent("events.sqlite").path }

    func makeStore(clock: any WallClock) async throws -> any ProcessStore & EventLog {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return try await SQLiteEventStore.open(path: path, clock: clock)
    }

    func reopen(_ store: any ProcessStore & EventLog, clock: any WallClock) async throws
        -> any ProcessStore & EventLog
    {
        try await (store as? SQLiteEventStore)?.close()
        return try await SQLiteEventStore.open(path: path, clock: clock)
    }

    func tearDown(_ store: any ProcessStore & EventLog) async throws {
        try await (store as? SQLiteEventStore)?.close()
        try? FileManager.default.removeItem(at: directory)
    }
}

@Suite struct SQLiteProcessStoreConformanceTests {
    @Test(arguments: ProcessStoreConformance.cases(supporting: SQLiteProcessStoreFixture().capabilities))
    func conformance(_ testCase: ProcessStoreConformanceCase) async throws {
        try await testCase.run(SQLiteProcessStoreFixture())
    }
}
