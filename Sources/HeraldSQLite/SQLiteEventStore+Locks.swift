import Foundation
import Herald
import SQLiteNIO

/// Locks: a row per lock name in the `locks` table, taken, renewed and released by one statement each on
/// the write connection, so each commits atomically on its own. A released lock keeps its row with no
/// owner, so that the next token is higher; tokens therefore also keep increasing across a reopen.
///
/// The statements compare leases with the store clock's time, bound as a parameter, so a test clock
/// drives expiry.
extension SQLiteEventStore: LockStore {
    /// Takes the lock `name` for `owner`; see ``LockStore/acquire(_:owner:ttl:)``.
    ///
    /// One upsert: a new name gets token 1; a free, released or expired lock gets the next token; the
    /// current owner's lease is extended with its token; another owner's current lease makes the update's
    /// condition false, and no row comes back.
    ///
    /// - Throws: ``EventLogError/Code/invalidArgument`` for an invalid name, owner or ttl (see
    ///   ``LockValidation``).
    public func acquire(_ name: String, owner: String, ttl: Duration) async throws -> LockLease? {
        try LockValidation.check(name: name, owner: owner, ttl: ttl)
        return try await operation("acquire lock") {
            try await withWriter { context in
                let expiresAt = LockValidation.expiry(after: context.now, ttl: ttl)
                let row = try await context.query(
                    """
                    INSERT INTO locks (name, owner, token, expires_at) VALUES (?1, ?2, 1, ?4)
                    ON CONFLICT (name) DO UPDATE SET
                        token = CASE WHEN locks.owner = excluded.owner AND locks.expires_at > ?3
                            THEN locks.token ELSE locks.token + 1 END,
                        owner = excluded.owner,
                        expires_at = excluded.expires_at
                    WHERE locks.owner IS NULL OR locks.expires_at <= ?3 OR locks.owner = excluded.owner
                    RETURNING token
                    """,
                    [.text(name), .text(owner), context.now.stored, expiresAt.stored]
                ).first
                return try row.map { row in
                    LockLease(name: name, owner: owner, token: try token(of: row, name: name), expiresAt: expiresAt)
                }
            }
        }
    }

    /// Extends a current lease; see ``LockStore/renew(_:ttl:)``.
    ///
    /// - Throws: ``EventLogError/Code/invalidArgument`` for an invalid ttl.
    public func renew(_ lease: LockLease, ttl: Duration) async throws -> LockLease? {
        try LockValidation.check(ttl: ttl)
        return try await operation("renew lock") {
            try await withWriter { context in
                let expiresAt = LockValidation.expiry(after: context.now, ttl: ttl)
                let rows = try await context.query(
                    """
                    UPDATE locks SET expires_at = ?5
                    WHERE name = ?1 AND owner = ?2 AND token = ?3 AND expires_at > ?4
                    RETURNING token
                    """,
                    [.text(lease.name), .text(lease.owner), lease.token.stored, context.now.stored, expiresAt.stored]
                )
                guard !rows.isEmpty else { return nil }
                var renewed = lease
                renewed.expiresAt = expiresAt
                return renewed
            }
        }
    }

    /// Frees the lock if `lease` is current; see ``LockStore/release(_:)``.
    public func release(_ lease: LockLease) async throws -> Bool {
        try await operation("release lock") {
            try await withWriter { context in
                try await !context.query(
                    """
                    UPDATE locks SET owner = NULL, expires_at = ?4
                    WHERE name = ?1 AND owner = ?2 AND token = ?3 AND expires_at > ?4
                    RETURNING token
                    """,
                    [.text(lease.name), .text(lease.owner), lease.token.stored, context.now.stored]
                ).isEmpty
            }
        }
    }

    /// The current lease of the lock `name`; see ``LockStore/holder(of:)``.
    ///
    /// - Throws: ``EventLogError/Code/invalidArgument`` for an invalid name.
    public func holder(of name: String) async throws -> LockLease? {
        try LockValidation.check(name: name)
        return try await operation("read lock holder") {
            let row = try await reader().query(
                "SELECT owner, token, expires_at FROM locks WHERE name = ? AND owner IS NOT NULL AND expires_at > ?",
                [.text(name), clock.now.stored]
            ).first
            return try row.map { row in
                guard let owner = row.column("owner")?.string, let expiresAt = Date(stored: row.column("expires_at"))
                else { throw damaged(name: name) }
                return LockLease(name: name, owner: owner, token: try token(of: row, name: name), expiresAt: expiresAt)
            }
        }
    }

    private func token(of row: SQLiteRow, name: String) throws -> Int64 {
        guard let token = row.column("token")?.integer else { throw damaged(name: name) }
        return Int64(token)
    }

    private func damaged(name: String) -> EventLogError {
        EventLogError(
            .storage,
            "the row of lock '\(name)' in '\(path)' cannot be read: the database is damaged or was written by an "
                + "incompatible Herald; restore it from a backup"
        )
    }
}
