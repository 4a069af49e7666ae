import Foundation
import Herald
import HeraldPostgres
import HeraldTesting
import Testing

/// Makes PostgreSQL stores, each in a schema of its own that tear-down drops, for the conformance suite:
/// durable across a reconnect, and driven by whatever clock the case passes.
struct PostgresEventStoreFixture: EventStoreFixture {
    let schema = TestDatabase.uniqueSchema("conformance")

    var capabilities: Capabilities { [.durableRestart, .controllableClock, .countsGroupRows] }

    func groupRowCount(_ group: String, in store: any EventLog & ConsumerGroupStore) async throws -> Int {
        let store = try #require(store as? PostgresEventStore)
        return try await store.groupRowCount(group)
    }

    func makeStore(clock: any WallClock) async throws -> any EventLog & ConsumerGroupStore {
        try await PostgresEventStore.connect(
            url: try TestDatabase.requireURL(),
            configuration: .init(schema: schema, maximumConnections: 4, connectTimeout: testHangLimit),
            clock: clock
        )
    }

    func reopen(_ store: any EventLog & ConsumerGroupStore, clock: any WallClock) async throws
        -> any EventLog & ConsumerGroupStore
    {
        try await (store as? PostgresEventStore)?.close()
        return try await makeStore(clock: clock)
    }

    func tearDown(_ store: any EventLog & ConsumerGroupStore) async throws {
        try await (store as? PostgresEventStore)?.close()
        try await TestDatabase.dropSchema(schema)
    }
}

@Suite(.enabled(if: TestDatabase.isEnabled, "set HERALD_TEST_POSTGRES_URL, or run ./scripts/test"))
struct PostgresEventStoreConformanceTests {
    @Test(arguments: EventStoreConformance.cases(supporting: PostgresEventStoreFixture().capabilities))
    func conformance(_ testCase: ConformanceCase) async throws {
        try await testCase.run(PostgresEventStoreFixture())
    }

    @Test(arguments: RouterConformance.cases(supporting: PostgresEventStoreFixture().capabilities))
    func routerConformance(_ testCase: RouterConformanceCase) async throws {
        try await testCase.run(LocalDeliverySources(PostgresEventStoreFixture()))
    }
}
