import Foundation
import Herald
import HeraldSQLite

/// Handles `user.registered`: records a welcome notification for the user and publishes `user.notified`,
/// in one transaction.
///
/// Idempotent under redelivery: `notifications` holds at most one row per user, and a user who has one
/// already is neither recorded nor announced again.
public struct WelcomeNotifier: Sendable {
    /// The database holding `notifications` and the event log.
    public let database: SignupDatabase

    /// Creates the notifier.
    public init(database: SignupDatabase) {
        self.database = database
    }

    /// Handles one `user.registered` event; returns whether it recorded a notification (`false` for a
    /// redelivery).
    @discardableResult
    public func handle(_ event: Event) async throws -> Bool {
        let user = try event.decode(UserRegistered.self)
        return try await database.store.transaction { transaction in
            let recorded = try await transaction.query(
                """
                INSERT INTO notifications (user_id, email, event_id) VALUES (?, ?, ?)
                ON CONFLICT (user_id) DO NOTHING RETURNING user_id
                """,
                [.integer(.init(user.userID)), .text(user.email), .text(event.id)])
            guard !recorded.isEmpty else { return false }
            try await transaction.publish(
                try Event(
                    UserNotified(userID: user.userID, email: user.email), source: "/signup/notifier",
                    id: "notified-\(user.userID)", subject: "user-\(user.userID)"))
            return true
        }
    }
}
