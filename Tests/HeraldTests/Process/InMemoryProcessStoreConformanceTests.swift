import Herald
import HeraldTesting
import Testing

/// Makes in-memory event stores for the process conformance suite.
struct InMemoryProcessStoreFixture: ProcessStoreFixture {
    var capabilities: Capabilities { .controllableClock }

    func makeStore(clock: any WallClock) async throws -> any ProcessStore & EventLog {
        InMemoryEventStore(clock: clock)
    }
}

@Suite struct InMemoryProcessStoreConformanceTests {
    @Test(arguments: ProcessStoreConformance.cases(supporting: InMemoryProcessStoreFixture().capabilities))
    func conformance(_ testCase: ProcessStoreConformanceCase) async throws {
        try await testCase.run(InMemoryProcessStoreFixture())
    }
}
