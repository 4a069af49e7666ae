import Foundation

/// A named lock held by one owner until a time: what ``LockStore`` hands out.
///
/// The ``token`` is a fencing token: it strictly increases, per lock name, every time the lock passes to
/// an owner. Pass it along with the writes the lock protects, and have the receiving side refuse a token
/// lower than the highest it has seen, so that a holder whose lease ran out unnoticed (a long pause, a
/// partition) cannot overwrite the work of the next holder.
public struct LockLease: Sendable, Hashable {
    /// The lock's name.
    public var name: String
    /// Who holds it, as given to ``LockStore/acquire(_:owner:ttl:)``.
    public var owner: String
    /// The fencing token: higher for every later holder of this lock, never reused.
    public var token: Int64
    /// When the lease runs out unless renewed, on the store's clock.
    public var expiresAt: Date

    /// Creates a lease; stores make them, callers pass them back to renew or release.
    public init(name: String, owner: String, token: Int64, expiresAt: Date) {
        self.name = name
        self.owner = owner
        self.token = token
        self.expiresAt = expiresAt
    }
}
