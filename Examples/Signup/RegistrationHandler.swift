import Foundation
import Herald
import HeraldSQLite

/// Handles `user.registration.requested`: inserts the user and publishes `user.registered` in one
/// transaction (the outbox), or publishes `user.registration.rejected` when the email is taken.
///
/// Idempotent under redelivery: a request whose user is in `users` already (its id is stored with the
/// user) is skipped, and each outcome event's id derives from the request's, so the log stores it once.
public struct RegistrationHandler: Sendable {
    /// The database holding `users` and the event log.
    public let database: SignupDatabase
    /// Runs after the insert, inside the transaction; a test makes it throw to see the insert and the event
    /// rolled back together.
    public var afterInsert: @Sendable (RegistrationRequested) throws -> Void = { _ in }

    /// Creates the handler.
    public init(database: SignupDatabase) {
        self.database = database
    }

    /// Handles one request event.
    ///
    /// - Throws: ``PayloadDecodingError`` for an event that is not a request; store errors, after which
    ///   nothing of this request was written.
    public func handle(_ event: Event) async throws {
        let request = try event.decode(RegistrationRequested.self)
        try await database.store.transaction { transaction in
            let done = try await transaction.query("SELECT 1 FROM users WHERE request_id = ?", [.text(event.id)])
            guard done.isEmpty else { return }
            let inserted: [SQLiteRow]
            do {
                inserted = try await transaction.query(
                    "INSERT INTO users (email, name, request_id) VALUES (?, ?, ?) RETURNING id",
                    [.text(request.email), .text(request.name), .text(event.id)])
            } catch let error as SQLiteError where error.reason == .constraintUniqueFailed {
                let rejected = RegistrationRejected(
                    requestID: event.id, email: request.email,
                    reason: "the email '\(request.email)' is already registered")
                try await transaction.publish(
                    try Event(rejected, source: "/signup/registrar", id: "rejected-\(event.id)", subject: request.email)
                )
                return
            }
            try afterInsert(request)
            let registered = UserRegistered(
                userID: Int64(inserted[0].column("id")!.integer!), email: request.email, name: request.name)
            try await transaction.publish(
                try Event(
                    registered, source: "/signup/registrar", id: "registered-\(event.id)",
                    subject: "user-\(registered.userID)"))
        }
    }
}
