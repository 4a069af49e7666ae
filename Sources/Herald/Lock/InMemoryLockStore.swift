import Foundation
import Synchronization

/// A ``LockStore`` in memory, for the tasks of one process and for tests.
///
/// Nothing survives the process, so its tokens start again at 1 after a restart: fence only work that
/// lives as long as the store. Time comes from the injected ``WallClock``. Every lock name ever used
/// keeps a small record (its last token), as durable stores keep a row.
///
/// ```swift
/// let locks = InMemoryLockStore()
/// if let lease = try await locks.acquire("reports.nightly", owner: "worker-1", ttl: .seconds(30)) {
///     defer { Task { _ = try await locks.release(lease) } }
///     try await buildReport(fencingToken: lease.token)
/// }
/// ```
public final class InMemoryLockStore: LockStore, Sendable {
    /// What the store keeps of one lock: its last holder and token.
    private struct Record {
        /// The holder; `nil` once released.
        var owner: String?
        var token: Int64
        var expiresAt: Date

        func currentLease(name: String, now: Date) -> LockLease? {
            guard let owner, expiresAt > now else { return nil }
            return LockLease(name: name, owner: owner, token: token, expiresAt: expiresAt)
        }
    }

    private let clock: any WallClock
    private let records = Mutex<[String: Record]>([:])

    /// Creates a store with no locks held that reads time from `clock`.
    public init(clock: any WallClock = SystemWallClock()) {
        self.clock = clock
    }

    public func acquire(_ name: String, owner: String, ttl: Duration) async throws -> LockLease? {
        try LockValidation.check(name: name, owner: owner, ttl: ttl)
        let now = clock.now
        let expiresAt = LockValidation.expiry(after: now, ttl: ttl)
        return records.withLock { records in
            let previous = records[name]
            if let current = previous?.currentLease(name: name, now: now) {
                guard current.owner == owner else { return nil }
                records[name]!.expiresAt = expiresAt
                return LockLease(name: name, owner: owner, token: current.token, expiresAt: expiresAt)
            }
            let token = (previous?.token ?? 0) + 1
            records[name] = Record(owner: owner, token: token, expiresAt: expiresAt)
            return LockLease(name: name, owner: owner, token: token, expiresAt: expiresAt)
        }
    }

    public func renew(_ lease: LockLease, ttl: Duration) async throws -> LockLease? {
        try LockValidation.check(ttl: ttl)
        let now = clock.now
        let expiresAt = LockValidation.expiry(after: now, ttl: ttl)
        return records.withLock { records in
            guard let current = records[lease.name]?.currentLease(name: lease.name, now: now),
                current.owner == lease.owner, current.token == lease.token
            else { return nil }
            records[lease.name]!.expiresAt = expiresAt
            return LockLease(name: lease.name, owner: lease.owner, token: lease.token, expiresAt: expiresAt)
        }
    }

    public func release(_ lease: LockLease) async throws -> Bool {
        let now = clock.now
        return records.withLock { records in
            guard let current = records[lease.name]?.currentLease(name: lease.name, now: now),
                current.owner == lease.owner, current.token == lease.token
            else { return false }
            records[lease.name]!.owner = nil
            records[lease.name]!.expiresAt = now
            return true
        }
    }

    public func holder(of name: String) async throws -> LockLease? {
        try LockValidation.check(name: name)
        let now = clock.now
        return records.withLock { $0[name]?.currentLease(name: name, now: now) }
    }
}
