/// The locks of an in-memory event store: an ``InMemoryLockStore`` on the store's clock, so that one
/// store serves the log, the consumer groups and the locks of a process.
extension InMemoryEventStore: LockStore {
    public func acquire(_ name: String, owner: String, ttl: Duration) async throws -> LockLease? {
        try await locks.acquire(name, owner: owner, ttl: ttl)
    }

    public func renew(_ lease: LockLease, ttl: Duration) async throws -> LockLease? {
        try await locks.renew(lease, ttl: ttl)
    }

    public func release(_ lease: LockLease) async throws -> Bool {
        try await locks.release(lease)
    }

    public func holder(of name: String) async throws -> LockLease? {
        try await locks.holder(of: name)
    }
}
