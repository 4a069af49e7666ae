import Herald
import PostgresNIO

/// Turns what postgres-nio throws into ``EventLogError``s that say what failed and what to do.
enum PostgresStorageFailure {
    /// `error` as an ``EventLogError``: ``EventLogError/Code/unavailable`` when the database cannot be
    /// reached, ``EventLogError/Code/storage`` for what it refused. Errors of Herald's own pass through.
    static func map(_ error: any Error, url: PostgresURL, operation: String) -> any Error {
        if error is EventLogError || error is CancellationError || error is EventBatchError { return error }
        guard let error = error as? PSQLError else {
            return EventLogError(.storage, "\(operation) failed on PostgreSQL at \(url): \(error)")
        }
        switch error.code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed,
            .sslUnsupported, .failedToAddSSLHandler:
            return unavailable(url: url, operation: operation, reason: "\(error.code)")
        case .server:
            let state = error.serverInfo?[.sqlState] ?? ""
            let message = error.serverInfo?[.message] ?? "\(error)"
            // Class 08: connection exception; 57P: operator intervention (shutdown, restart); 53: resources.
            if state.hasPrefix("08") || state.hasPrefix("57P") || state == "53300" {
                return unavailable(url: url, operation: operation, reason: message)
            }
            if state == "28P01" || state == "28000" {
                return EventLogError(
                    .storage,
                    "PostgreSQL at \(url) refused the login: \(message); check the user and password in the URL"
                )
            }
            // 22021: a NUL (or other byte) that text cannot hold, from a value a client gave.
            if state == "22021" {
                return EventLogError(
                    .invalidArgument,
                    "\(operation) failed: PostgreSQL cannot store or compare a text value with a NUL character "
                        + "(U+0000): \(message); remove the NUL")
            }
            if state == "3D000" {
                return EventLogError(
                    .storage,
                    "PostgreSQL at \(url) has no such database: \(message); create it with createdb or name another"
                )
            }
            return EventLogError(
                .storage, "\(operation) failed on PostgreSQL at \(url): \(message) (SQLSTATE \(state))")
        default:
            return EventLogError(.storage, "\(operation) failed on PostgreSQL at \(url): \(error.code)")
        }
    }

    /// Whether `error` is PostgreSQL's unique violation (SQLSTATE 23505): in an append, another transaction
    /// stored the same key first, while this one was inserting it.
    static func isUniqueViolation(_ error: any Error) -> Bool {
        (error as? PSQLError)?.serverInfo?[.sqlState] == "23505"
    }

    /// Runs `body`, again when it fails with a unique violation (up to 5 times): the transaction it ran in
    /// met another storing the same key, and the next run finds that key stored and answers a duplicate.
    static func retryingUniqueViolations<T>(_ body: () async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await body()
            } catch let error where isUniqueViolation(error) && attempt < 5 {
                attempt += 1
            }
        }
    }

    static func unavailable(url: PostgresURL, operation: String, reason: String) -> EventLogError {
        EventLogError(
            .unavailable,
            "PostgreSQL at \(url) cannot be reached (\(reason)) during \(operation); nothing new was stored unless "
                + "a result said so. Check that the server is running; retry later (appends are idempotent by source "
                + "and id, so retrying one is safe)."
        )
    }
}
