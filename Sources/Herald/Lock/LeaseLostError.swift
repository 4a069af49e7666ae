/// Thrown by ``LockStore/withLease(_:owner:ttl:clock:_:)`` when the lease ran out or was taken while the
/// body ran: the body was cancelled, and the work it did may have overlapped another holder's.
public struct LeaseLostError: Error, Hashable, CustomStringConvertible {
    /// The last lease the caller held; a later holder has a higher token.
    public var lease: LockLease

    /// Creates the error for `lease`.
    public init(lease: LockLease) {
        self.lease = lease
    }

    public var description: String {
        "the lease on lock '\(lease.name)' (owner '\(lease.owner)', token \(lease.token)) was lost before the work "
            + "under it finished: it could not be renewed before \(lease.expiresAt). Renew more often (a longer "
            + "ttl) or check that the store is reachable; the work was cancelled and may need to be redone"
    }
}
