import Foundation

extension LockStore {
    /// Runs `body` while holding the lock `name`, renewing the lease in the background; returns `nil`
    /// without running it when another owner holds the lock.
    ///
    /// The lease is renewed every third of `ttl` on `clock` (pass the store's clock, so that a test clock
    /// moves both). A renewal that fails with an error is tried again at the next turn, until the lease
    /// runs out. When the lease is lost (not renewed in time, or taken after an expiry) `body` is
    /// cancelled, and once it has returned this throws ``LeaseLostError``, whatever `body` returned: its
    /// work may have overlapped another holder's. At the end the lock is released; a release that fails
    /// is ignored, and the lease then runs out on its own. Give each holder its own `owner`: the same owner
    /// acquiring a lock it holds renews it instead of waiting, so it would share the lease and release it.
    ///
    /// ```swift
    /// let report = try await store.withLease("reports.nightly", owner: nodeID, ttl: .seconds(30)) { lease in
    ///     try await buildReport(fencingToken: lease.token)
    /// }
    /// if report == nil { print("another node is building it") }
    /// ```
    ///
    /// - Throws: what `acquire` throws, ``LeaseLostError``, or what `body` throws.
    public func withLease<Value: Sendable>(
        _ name: String,
        owner: String,
        ttl: Duration,
        clock: any WallClock = SystemWallClock(),
        _ body: @Sendable (LockLease) async throws -> Value
    ) async throws -> Value? {
        guard let lease = try await acquire(name, owner: owner, ttl: ttl) else { return nil }
        let (outcome, keeper, bodyEndedFirst) = await withoutActuallyEscaping(body) { body in
            await withTaskGroup(of: LeaseTaskResult<Value>.self) { group in
                group.addTask {
                    do {
                        return .body(.success(try await body(lease)))
                    } catch {
                        return .body(.failure(error))
                    }
                }
                group.addTask { .keeper(await keep(lease, ttl: ttl, clock: clock)) }
                var outcome: Result<Value, any Error>?
                var keeper: LeaseKeeperResult?
                var bodyEndedFirst: Bool?
                // Whichever ends first ends the other: a finished body stops the renewals, a lost lease
                // cancels the body.
                while let next = await group.next() {
                    switch next {
                    case .body(let result): outcome = result
                    case .keeper(let result): keeper = result
                    }
                    if bodyEndedFirst == nil { bodyEndedFirst = outcome != nil }
                    group.cancelAll()
                }
                return (outcome!, keeper!, bodyEndedFirst!)
            }
        }
        if case .lost(let last) = keeper, !bodyEndedFirst { throw LeaseLostError(lease: last) }
        if case .stopped(let last) = keeper { _ = try? await release(last) }
        return try outcome.get()
    }

    /// Renews `lease` every third of `ttl` until cancelled (returning the last lease) or until the lease
    /// is lost.
    private func keep(_ lease: LockLease, ttl: Duration, clock: any WallClock) async -> LeaseKeeperResult {
        var lease = lease
        while true {
            let turn = min(clock.now.addingTimeInterval(ttl.timeInterval / 3), lease.expiresAt)
            do {
                try await clock.sleep(until: turn)
            } catch {
                return .stopped(lease)
            }
            if Task.isCancelled { return .stopped(lease) }
            do {
                guard let renewed = try await renew(lease, ttl: ttl) else { return .lost(lease) }
                lease = renewed
            } catch {
                if Task.isCancelled { return .stopped(lease) }
                if clock.now >= lease.expiresAt { return .lost(lease) }
            }
        }
    }
}

/// What one of the two tasks of ``LockStore/withLease(_:owner:ttl:clock:_:)`` ended with.
private enum LeaseTaskResult<Value: Sendable>: Sendable {
    case body(Result<Value, any Error>)
    case keeper(LeaseKeeperResult)
}

/// How the renewals of a lease ended, with the last lease held.
private enum LeaseKeeperResult: Sendable {
    /// Stopped because the body finished; the lease is still held.
    case stopped(LockLease)
    /// The lease could not be renewed in time.
    case lost(LockLease)
}
