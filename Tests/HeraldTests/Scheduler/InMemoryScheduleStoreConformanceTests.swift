import Herald
import HeraldTesting
import Testing

/// Makes in-memory schedule stores: standalone, and as part of an ``InMemoryEventStore``.
struct InMemoryScheduleStoreFixture: ScheduleStoreFixture {
    var inEventStore: Bool

    var capabilities: Capabilities { [.controllableClock] }

    func makeStore(clock: any WallClock) async throws -> any ScheduleStore {
        inEventStore ? InMemoryEventStore(clock: clock) : InMemoryScheduleStore(clock: clock)
    }
}

@Suite struct InMemoryScheduleStoreConformanceTests {
    @Test(arguments: ScheduleStoreConformance.cases(supporting: [.controllableClock]), [false, true])
    func conformance(_ testCase: ScheduleStoreConformanceCase, inEventStore: Bool) async throws {
        try await testCase.run(InMemoryScheduleStoreFixture(inEventStore: inEventStore))
    }
}
