import Foundation
import Herald
import HeraldPostgres
import HeraldTesting
import Testing

/// Makes PostgreSQL stores, each in a schema of its own that tear-down drops, for the lock, schedule and
/// process conformance suites.
struct PostgresStoreFixture: LockStoreFixture, ScheduleStoreFixture, ProcessStoreFixture {
    let schema = TestDatabase.uniqueSchema("conformance")

    var capabilities: Capabilities { [.durableRestart, .controllableClock] }

    func connect(clock: any WallClock) async throws -> PostgresEventStore {
        try await PostgresEventStore.connect(
            url: try TestDatabase.requireURL(),
            configuration: .init(schema: schema, maximumConnections: 4, connectTimeout: testHangLimit),
            clock: clock
        )
    }

    func makeStore(clock: any WallClock) async throws -> any LockStore { try await connect(clock: clock) }

    func makeStore(clock: any WallClock) async throws -> any ScheduleStore { try await connect(clock: clock) }

    func makeStore(clock: any WallClock) async throws -> any ProcessStore & EventLog { try await connect(clock: clock) }

    func reopen(_ store: any ProcessStore & EventLog, clock: any WallClock) async throws
        -> any ProcessStore & EventLog
    {
        try await (store as? PostgresEventStore)?.close()
        return try await connect(clock: clock)
    }

    func tearDown(_ store: any ProcessStore & EventLog) async throws {
        try await (store as? PostgresEventStore)?.close()
        try await TestDatabase.dropSchema(schema)
    }

    func reopen(_ store: any LockStore, clock: any WallClock) async throws -> any LockStore {
        try await (store as? PostgresEventStore)?.close()
        return try await connect(clock: clock)
    }

    func reopen(_ store: any ScheduleStore, clock: any WallClock) async throws -> any ScheduleStore {
        try await (store as? PostgresEventStore)?.close()
        return try await connect(clock: clock)
    }

    func tearDown(_ store: any LockStore) async throws {
        try await (store as? PostgresEventStore)?.close()
        try await TestDatabase.dropSchema(schema)
    }

    func tearDown(_ store: any ScheduleStore) async throws {
        try await (store as? PostgresEventStore)?.close()
        try await TestDatabase.dropSchema(schema)
    }
}

@Suite(.enabled(if: TestDatabase.isEnabled, "set HERALD_TEST_POSTGRES_URL, or run ./scripts/test"))
struct PostgresLockScheduleAndProcessConformanceTests {
    @Test(arguments: LockStoreConformance.cases(supporting: [.durableRestart, .controllableClock]))
    func locks(_ testCase: LockStoreConformanceCase) async throws {
        try await testCase.run(PostgresStoreFixture())
    }

    @Test(arguments: ScheduleStoreConformance.cases(supporting: [.durableRestart, .controllableClock]))
    func schedules(_ testCase: ScheduleStoreConformanceCase) async throws {
        try await testCase.run(PostgresStoreFixture())
    }

    @Test(arguments: ProcessStoreConformance.cases(supporting: [.durableRestart, .controllableClock]))
    func processes(_ testCase: ProcessStoreConformanceCase) async throws {
        try await testCase.run(PostgresStoreFixture())
    }
}
