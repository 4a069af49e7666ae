import Herald
import HeraldTesting
import Testing

/// Makes in-memory lock stores for the lock conformance suite; they read any clock but do not survive a
/// restart.
struct InMemoryLockStoreFixture: LockStoreFixture {
    var capabilities: Capabilities { .controllableClock }

    func makeStore(clock: any WallClock) async throws -> any LockStore {
        InMemoryLockStore(clock: clock)
    }
}

/// The locks of an ``InMemoryEventStore``, which forwards to its own ``InMemoryLockStore``.
struct InMemoryEventStoreLockFixture: LockStoreFixture {
    var capabilities: Capabilities { .controllableClock }

    func makeStore(clock: any WallClock) async throws -> any LockStore {
        InMemoryEventStore(clock: clock)
    }
}

@Suite struct InMemoryLockStoreConformanceTests {
    @Test(arguments: LockStoreConformance.cases(supporting: InMemoryLockStoreFixture().capabilities))
    func conformance(_ testCase: LockStoreConformanceCase) async throws {
        try await testCase.run(InMemoryLockStoreFixture())
    }

    @Test(arguments: LockStoreConformance.cases(supporting: InMemoryEventStoreLockFixture().capabilities))
    func eventStoreConformance(_ testCase: LockStoreConformanceCase) async throws {
        try await testCase.run(InMemoryEventStoreLockFixture())
    }
}
