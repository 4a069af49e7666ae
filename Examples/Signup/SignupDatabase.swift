import Foundation
import HeraldSQLite

/// The sign-up demo's own tables, `users` and `notifications`, kept in the event store's SQLite file so
/// that writing them and publishing events commit in one transaction.
public struct SignupDatabase: Sendable {
    /// A row of `users`.
    public struct User: Sendable, Hashable {
        /// The row id.
        public var id: Int64
        /// The email address; unique.
        public var email: String
        /// The name.
        public var name: String
    }

    /// A row of `notifications`: the welcome sent to a user, at most one per user.
    public struct Notification: Sendable, Hashable {
        /// The user it was sent to.
        public var userID: Int64
        /// Where it went.
        public var email: String
        /// The `user.registered` event it answered.
        public var eventID: String
    }

    /// The store whose file holds the tables.
    public let store: SQLiteEventStore

    /// Opens the tables in `store`'s file, creating them when missing.
    public init(store: SQLiteEventStore) async throws {
        self.store = store
        try await store.transaction { transaction in
            try await transaction.execute(
                """
                CREATE TABLE IF NOT EXISTS users (
                    id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
                    request_id TEXT NOT NULL UNIQUE)
                """)
            try await transaction.execute(
                """
                CREATE TABLE IF NOT EXISTS notifications (
                    user_id INTEGER PRIMARY KEY REFERENCES users (id), email TEXT NOT NULL, event_id TEXT NOT NULL)
                """)
        }
    }

    /// Every user, by id.
    public func users() async throws -> [User] {
        try await store.transaction { transaction in
            try await transaction.query("SELECT id, email, name FROM users ORDER BY id").map { row in
                User(
                    id: Int64(row.column("id")!.integer!), email: row.column("email")!.string!,
                    name: row.column("name")!.string!)
            }
        }
    }

    /// Every notification, by user id.
    public func notifications() async throws -> [Notification] {
        try await store.transaction { transaction in
            try await transaction.query("SELECT user_id, email, event_id FROM notifications ORDER BY user_id").map {
                row in
                Notification(
                    userID: Int64(row.column("user_id")!.integer!), email: row.column("email")!.string!,
                    eventID: row.column("event_id")!.string!)
            }
        }
    }
}
