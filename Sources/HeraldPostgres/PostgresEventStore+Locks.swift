import Foundation
import Herald
import PostgresNIO

/// Locks across nodes: a row per lock name in the `locks` table, taken, renewed and released by one
/// statement each. The statements compare leases with the store clock's time, bound as a parameter, so the
/// nodes must keep their clocks in sync (as for consumer-group leases), and a test clock drives expiry.
/// A released lock keeps its row with no owner, so that tokens keep increasing.
extension PostgresEventStore: LockStore {
    /// Takes the lock `name` for `owner`; see ``LockStore/acquire(_:owner:ttl:)``.
    ///
    /// One upsert: a new name gets token 1; a free, released or expired lock gets the next token; the
    /// current owner's lease is extended with its token; another owner's current lease makes the update's
    /// condition false, and no row comes back. PostgreSQL locks the row for the upsert, so two nodes
    /// racing for a lock are served one after the other.
    public func acquire(_ name: String, owner: String, ttl: Duration) async throws -> LockLease? {
        try LockValidation.check(name: name, owner: owner, ttl: ttl)
        return try await operation("acquire lock") {
            let now = clock.now
            let expiresAt = LockValidation.expiry(after: now, ttl: ttl)
            let (nowSeconds, expirySeconds) = (
                now.timeIntervalSinceReferenceDate, expiresAt.timeIntervalSinceReferenceDate
            )
            let t = tables
            let token = try await withConnection("acquire lock") { connection in
                try await self.single(
                    """
                    INSERT INTO \(unescaped: t.locks) AS l (name, owner, token, expires_at)
                    VALUES (\(name), \(owner), 1, \(expirySeconds))
                    ON CONFLICT (name) DO UPDATE SET
                        token = CASE WHEN l.owner = excluded.owner AND l.expires_at > \(nowSeconds)
                            THEN l.token ELSE l.token + 1 END,
                        owner = excluded.owner,
                        expires_at = excluded.expires_at
                    WHERE l.owner IS NULL OR l.expires_at <= \(nowSeconds) OR l.owner = excluded.owner
                    RETURNING token
                    """,
                    Int64.self,
                    on: connection
                )
            }
            return token.map { LockLease(name: name, owner: owner, token: $0, expiresAt: expiresAt) }
        }
    }

    /// Extends a current lease; see ``LockStore/renew(_:ttl:)``.
    public func renew(_ lease: LockLease, ttl: Duration) async throws -> LockLease? {
        try LockValidation.check(ttl: ttl)
        return try await operation("renew lock") {
            let now = clock.now
            let expiresAt = LockValidation.expiry(after: now, ttl: ttl)
            let t = tables
            let renewed = try await withConnection("renew lock") { connection in
                try await self.single(
                    """
                    UPDATE \(unescaped: t.locks) SET expires_at = \(expiresAt.timeIntervalSinceReferenceDate)
                    WHERE name = \(lease.name) AND owner = \(lease.owner) AND token = \(lease.token)
                        AND expires_at > \(now.timeIntervalSinceReferenceDate)
                    RETURNING token
                    """,
                    Int64.self,
                    on: connection
                ) != nil
            }
            guard renewed else { return nil }
            var extended = lease
            extended.expiresAt = expiresAt
            return extended
        }
    }

    /// Frees the lock if `lease` is current; see ``LockStore/release(_:)``.
    public func release(_ lease: LockLease) async throws -> Bool {
        try await operation("release lock") {
            let now = clock.now.timeIntervalSinceReferenceDate
            let t = tables
            return try await withConnection("release lock") { connection in
                try await self.single(
                    """
                    UPDATE \(unescaped: t.locks) SET owner = NULL, expires_at = \(now)
                    WHERE name = \(lease.name) AND owner = \(lease.owner) AND token = \(lease.token)
                        AND expires_at > \(now)
                    RETURNING token
                    """,
                    Int64.self,
                    on: connection
                ) != nil
            }
        }
    }

    /// The current lease of the lock `name`, or `nil`; see ``LockStore/holder(of:)``.
    public func holder(of name: String) async throws -> LockLease? {
        try LockValidation.check(name: name)
        return try await operation("lock holder") {
            let now = clock.now.timeIntervalSinceReferenceDate
            let t = tables
            return try await withConnection("lock holder") { connection in
                let rows = try await connection.query(
                    """
                    SELECT owner, token, expires_at FROM \(unescaped: t.locks)
                    WHERE name = \(name) AND owner IS NOT NULL AND expires_at > \(now)
                    """,
                    logger: self.logger
                )
                var lease: LockLease?
                for try await (owner, token, expiresAt) in rows.decode((String, Int64, Double).self) {
                    lease = LockLease(
                        name: name,
                        owner: owner,
                        token: token,
                        expiresAt: Date(timeIntervalSinceReferenceDate: expiresAt)
                    )
                }
                return lease
            }
        }
    }
}
