import Foundation
import Herald
import HeraldTesting
import Synchronization
import Testing

/// `LockStore.withLease`: runs the body under the lock, renews every third of the ttl on the given
/// clock, cancels the body when the lease is lost, and releases at the end. Time is a `TestClock`.
@Suite struct WithLeaseTests {
    struct BodyFailure: Error, Equatable {}

    let clock = TestClock()
    var wallClock: TestWallClock { clock.wallClock() }

    @Test func runsTheBodyUnderTheLockAndReleasesIt() async throws {
        let store = InMemoryLockStore(clock: wallClock)
        let value = try await store.withLease("job", owner: "a", ttl: .seconds(30), clock: wallClock) { lease in
            let holder = try await store.holder(of: "job")
            let other = try await store.acquire("job", owner: "b", ttl: .seconds(30))
            #expect(holder == lease, "the body runs holding the lock")
            #expect(other == nil, "another owner must wait")
            return lease.token
        }
        #expect(value == 1)
        #expect(try await store.holder(of: "job") == nil, "released when the body returned")
    }

    @Test func returnsNilWithoutRunningTheBodyWhenAnotherOwnerHoldsTheLock() async throws {
        let store = InMemoryLockStore(clock: wallClock)
        let other = try #require(try await store.acquire("job", owner: "b", ttl: .seconds(30)))
        let ran = Atomic(false)
        let value = try await store.withLease("job", owner: "a", ttl: .seconds(30), clock: wallClock) { _ in
            ran.store(true, ordering: .relaxed)
            return 1
        }
        #expect(value == nil)
        let bodyRan = ran.load(ordering: .relaxed)
        #expect(!bodyRan)
        #expect(try await store.holder(of: "job") == other, "the other owner's lease is untouched")
    }

    @Test func aThrowingBodyReleasesTheLockAndItsErrorComesThrough() async throws {
        let store = InMemoryLockStore(clock: wallClock)
        await #expect(throws: BodyFailure()) {
            _ = try await store.withLease("job", owner: "a", ttl: .seconds(30), clock: wallClock) { _ in
                throw BodyFailure()
            }
        }
        #expect(try await store.holder(of: "job") == nil)
    }

    @Test func renewsEveryThirdOfTheTTLWhileTheBodyRuns() async throws {
        let store = InMemoryLockStore(clock: wallClock)
        let epoch = wallClock.now
        let gate = Gate()
        let run = Task {
            try await store.withLease("job", owner: "a", ttl: .seconds(30), clock: wallClock) { lease in
                await gate.wait()
                return lease
            }
        }
        // Four turns of 10 s: 40 s, past the first lease's 30 s.
        for turn in 1...4 {
            try await clock.waitForSleepers(1)
            clock.advance(by: .seconds(10))
            try await clock.waitForSleepers(1)
            let holder = try #require(try await store.holder(of: "job"), "turn \(turn)")
            #expect(holder.owner == "a")
            #expect(holder.token == 1, "renewals keep the token")
            #expect(holder.expiresAt == epoch.addingTimeInterval(Double(turn) * 10 + 30), "turn \(turn)")
        }
        gate.open()
        let first = try #require(try await run.value)
        #expect(first.token == 1)
        #expect(try await store.holder(of: "job") == nil, "released after the renewals")
    }

    @Test func aLostLeaseCancelsTheBodyAndThrows() async throws {
        let store = InMemoryLockStore(clock: wallClock)
        let sawCancellation = Atomic(false)
        let run = Task {
            try await store.withLease("job", owner: "a", ttl: .seconds(30), clock: wallClock) { _ in
                await waitUntilCancelled()
                sawCancellation.store(Task.isCancelled, ordering: .relaxed)
                return "done anyway"
            }
        }
        try await clock.waitForSleepers(1)
        // The process stalled past the lease: the renewal finds it expired.
        clock.advance(by: .seconds(31))
        let error = await #expect(throws: LeaseLostError.self) { try await run.value }
        #expect(error?.lease.owner == "a")
        #expect(error?.lease.token == 1)
        #expect(error?.description.contains("lock 'job'") == true)
        let cancelled = sawCancellation.load(ordering: .relaxed)
        #expect(cancelled, "the body was cancelled")
        let next = try #require(try await store.acquire("job", owner: "b", ttl: .seconds(30)))
        #expect(next.token == 2)
    }

    @Test func aFailedRenewalIsRetriedAtTheNextTurn() async throws {
        let store = FlakyLockStore(InMemoryLockStore(clock: wallClock), failingRenewals: 1)
        let epoch = wallClock.now
        let gate = Gate()
        let run = Task {
            try await store.withLease("job", owner: "a", ttl: .seconds(30), clock: wallClock) { _ in
                await gate.wait()
            }
        }
        try await clock.waitForSleepers(1)
        clock.advance(by: .seconds(10))  // renewal fails
        try await clock.waitForSleepers(1)
        #expect(try await store.holder(of: "job")?.expiresAt == epoch.addingTimeInterval(30))
        clock.advance(by: .seconds(10))  // renewal succeeds
        try await clock.waitForSleepers(1)
        #expect(try await store.holder(of: "job")?.expiresAt == epoch.addingTimeInterval(50))
        #expect(store.renewals == 2)
        gate.open()
        _ = try await run.value
        #expect(try await store.holder(of: "job") == nil)
    }

    @Test func renewalsThatKeepFailingLoseTheLeaseAtItsExpiry() async throws {
        let store = FlakyLockStore(InMemoryLockStore(clock: wallClock), failingRenewals: .max)
        let run = Task {
            try await store.withLease("job", owner: "a", ttl: .seconds(30), clock: wallClock) { _ in
                await waitUntilCancelled()
            }
        }
        for _ in 1...3 {
            try await clock.waitForSleepers(1)
            clock.advance(by: .seconds(10))
        }
        let error = await #expect(throws: LeaseLostError.self) { try await run.value }
        #expect(error?.lease.token == 1)
        #expect(store.renewals == 3, "tried at 10 s, 20 s and at the expiry")
    }

    @Test func cancellingTheCallerCancelsTheBodyAndReleases() async throws {
        let store = InMemoryLockStore(clock: wallClock)
        let run = Task {
            try await store.withLease("job", owner: "a", ttl: .seconds(30), clock: wallClock) { _ in
                await waitUntilCancelled()
                return Task.isCancelled
            }
        }
        try await clock.waitForSleepers(1)
        run.cancel()
        #expect(try await run.value == true, "the body saw the cancellation")
        #expect(try await store.holder(of: "job") == nil, "released")
    }

    @Test func invalidArgumentsAreErrorsBeforeTheBodyRuns() async throws {
        let store = InMemoryLockStore(clock: wallClock)
        let error = await #expect(throws: EventLogError.self) {
            _ = try await store.withLease("", owner: "a", ttl: .seconds(30), clock: wallClock) { _ in
                Issue.record("the body must not run")
            }
        }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("lock name must not be empty") == true)
    }
}

/// Suspends until the task is cancelled: a body doing long work that only cancellation ends.
private func waitUntilCancelled() async {
    let waiter = CancellationWaiter()
    await withTaskCancellationHandler {
        await withCheckedContinuation { waiter.wait($0) }
    } onCancel: {
        waiter.cancel()
    }
}

/// The continuation of ``waitUntilCancelled()``, resumed once, by whichever comes second of waiting and
/// cancellation.
private final class CancellationWaiter: Sendable {
    private let state = Mutex<(cancelled: Bool, continuation: CheckedContinuation<Void, Never>?)>((false, nil))

    func wait(_ continuation: CheckedContinuation<Void, Never>) {
        let cancelled = state.withLock { state in
            if !state.cancelled { state.continuation = continuation }
            return state.cancelled
        }
        if cancelled { continuation.resume() }
    }

    func cancel() {
        let continuation = state.withLock { state in
            state.cancelled = true
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume()
    }
}

/// A lock store whose first `failingRenewals` renewals throw, as when the database is unreachable.
private final class FlakyLockStore: LockStore {
    struct Unreachable: Error {}

    private let base: InMemoryLockStore
    private let counts: Mutex<(failing: Int, renewals: Int)>

    init(_ base: InMemoryLockStore, failingRenewals: Int) {
        self.base = base
        self.counts = Mutex((failingRenewals, 0))
    }

    /// How many renewals were tried.
    var renewals: Int { counts.withLock { $0.renewals } }

    func acquire(_ name: String, owner: String, ttl: Duration) async throws -> LockLease? {
        try await base.acquire(name, owner: owner, ttl: ttl)
    }

    func renew(_ lease: LockLease, ttl: Duration) async throws -> LockLease? {
        let fails = counts.withLock { counts in
            counts.renewals += 1
            defer { counts.failing -= counts.failing > 0 ? 1 : 0 }
            return counts.failing > 0
        }
        if fails { throw Unreachable() }
        return try await base.renew(lease, ttl: ttl)
    }

    func release(_ lease: LockLease) async throws -> Bool {
        try await base.release(lease)
    }

    func holder(of name: String) async throws -> LockLease? {
        try await base.holder(of: name)
    }
}
