import Foundation
import Herald
import Synchronization
import Testing

/// The lock store under test in one case, with its clock.
final class LockStoreHarness: Sendable {
    let fixture: any LockStoreFixture
    /// The test clock the store reads, in cases that move time; `nil` when the store reads system time.
    let testClock: TestClock?
    let wallClock: any WallClock
    private let current: Mutex<any LockStore>

    private init(fixture: any LockStoreFixture, testClock: TestClock?, store: any LockStore) {
        self.fixture = fixture
        self.testClock = testClock
        self.wallClock = testClock?.wallClock() ?? SystemWallClock()
        self.current = Mutex(store)
    }

    /// The store; a new one after ``reopen()``.
    var store: any LockStore { current.withLock { $0 } }

    /// Makes a case that runs `body` against a fresh store from the fixture and tears it down afterwards.
    static func conformanceCase(
        _ name: String,
        requires requirements: Capabilities = [],
        _ body: @escaping @Sendable (LockStoreHarness) async throws -> Void
    ) -> LockStoreConformanceCase {
        LockStoreConformanceCase(name: name, requirements: requirements) { fixture in
            let testClock = requirements.contains(.controllableClock) ? TestClock() : nil
            let wallClock: any WallClock = testClock?.wallClock() ?? SystemWallClock()
            let store = try await fixture.makeStore(clock: wallClock)
            let harness = LockStoreHarness(fixture: fixture, testClock: testClock, store: store)
            do {
                try await body(harness)
            } catch {
                try? await fixture.tearDown(harness.store)
                throw error
            }
            try await fixture.tearDown(harness.store)
        }
    }

    /// Closes the store and opens its storage again through the fixture.
    func reopen() async throws {
        let reopened = try await fixture.reopen(store, clock: wallClock)
        current.withLock { $0 = reopened }
    }

    /// Advances the test clock; only in cases that declare ``Capabilities/controllableClock``.
    func advance(by duration: Duration) {
        testClock!.advance(by: duration)
    }

    /// The store clock's time.
    var now: Date { wallClock.now }

    /// Acquires `name` for `owner`, requiring that it succeeds.
    func acquire(
        _ name: String,
        owner: String,
        ttl: Duration = .seconds(30),
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> LockLease {
        let lease = try await store.acquire(name, owner: owner, ttl: ttl)
        return try #require(lease, "'\(owner)' should get lock '\(name)'", sourceLocation: sourceLocation)
    }

    /// Expects `operation` to throw ``EventLogError/Code/invalidArgument`` with a message.
    func expectInvalid(
        _ what: String,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ operation: () async throws -> Void
    ) async {
        let error = await #expect(throws: EventLogError.self, "\(what) is rejected", sourceLocation: sourceLocation) {
            try await operation()
        }
        #expect(
            error?.code == .invalidArgument, "\(what): \(error.map(String.init(describing:)) ?? "no error")",
            sourceLocation: sourceLocation)
        #expect(error?.message.isEmpty == false, sourceLocation: sourceLocation)
    }
}
