/// Named locks with expiring leases and fencing tokens, so that one of several tasks or processes does a
/// job at a time (such as firing a scheduled tick) and a crashed holder does not block the others.
///
/// Semantics every implementation keeps (`LockStoreConformance` in `HeraldTesting` checks them):
/// - A lock is held by at most one owner at a time: from a successful ``acquire(_:owner:ttl:)`` until
///   the lease's ``LockLease/expiresAt`` (renewed by ``renew(_:ttl:)``) or ``release(_:)``. A lease is
///   current while the store's clock is before `expiresAt`.
/// - Every time the lock passes to an owner (the first time, after an expiry, after a release; also to
///   the same owner again after its lease ran out) its ``LockLease/token`` is higher than any token the
///   lock had before. Tokens are positive and increase per name (a store may count per name or share one
///   counter), and are never reused, also across a restart of a durable store.
/// - A lease whose token is no longer current (expired, released, or the lock taken by someone else)
///   neither renews nor releases anything, and does not disturb the current holder.
/// - Times come from the store's ``WallClock``, so a test clock drives expiry.
/// - Arguments are checked as ``LockValidation`` describes; invalid ones throw ``EventLogError`` with
///   ``EventLogError/Code/invalidArgument``. Storage failures throw ``EventLogError`` too.
///
/// A lock guards against other holders only as far as its lease reaches: a holder that stalls beyond
/// `expiresAt` has lost it. Renew well before then (``LockStore/withLease(_:owner:ttl:clock:_:)`` does), and
/// use the token to fence the writes the lock protects.
public protocol LockStore: Sendable {
    /// Takes the lock `name` for `owner` for `ttl`, or returns `nil` when another owner holds a current
    /// lease.
    ///
    /// When the lock is free, expired or released, `owner` gets it with a new, higher token. When `owner`
    /// holds it already, the lease is renewed to `ttl` from now and keeps its token.
    func acquire(_ name: String, owner: String, ttl: Duration) async throws -> LockLease?

    /// Extends a current lease to `ttl` from now, keeping its token; returns `nil` when the lease is no
    /// longer current (it expired, was released, or the lock has another holder or token).
    func renew(_ lease: LockLease, ttl: Duration) async throws -> LockLease?

    /// Frees the lock if `lease` is still current; returns whether it was. The next holder gets a higher
    /// token.
    func release(_ lease: LockLease) async throws -> Bool

    /// The current lease of the lock `name`, or `nil` when it is free or its lease ran out; for status
    /// pages and checks, since it may change as soon as it is returned.
    func holder(of name: String) async throws -> LockLease?
}
