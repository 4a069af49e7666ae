import Herald
import HeraldTesting
import Testing

/// Makes in-memory stores for the conformance suite; they read any clock but do not survive a restart.
struct InMemoryEventStoreFixture: EventStoreFixture {
    var capabilities: Capabilities { [.controllableClock, .countsGroupRows] }

    func groupRowCount(_ group: String, in store: any EventLog & ConsumerGroupStore) async throws -> Int {
        let store = try #require(store as? InMemoryEventStore)
        return try store.groupRowCount(group)
    }

    func makeStore(clock: any WallClock) async throws -> any EventLog & ConsumerGroupStore {
        InMemoryEventStore(clock: clock)
    }
}

@Suite struct InMemoryEventStoreConformanceTests {
    @Test(arguments: EventStoreConformance.cases(supporting: InMemoryEventStoreFixture().capabilities))
    func conformance(_ testCase: ConformanceCase) async throws {
        try await testCase.run(InMemoryEventStoreFixture())
    }

    @Test(arguments: RouterConformance.cases(supporting: InMemoryEventStoreFixture().capabilities))
    func routerConformance(_ testCase: RouterConformanceCase) async throws {
        try await testCase.run(LocalDeliverySources(InMemoryEventStoreFixture()))
    }
}
