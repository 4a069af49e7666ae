import Herald

/// A welcome notification was recorded in the `notifications` table: published as `user.notified` in the
/// same transaction.
public struct UserNotified: EventPayload, Hashable {
    public static let eventType = "user.notified"

    /// The user's row id in `users`.
    public var userID: Int64
    /// Where the welcome went.
    public var email: String

    /// Creates the event's payload.
    public init(userID: Int64, email: String) {
        self.userID = userID
        self.email = email
    }
}
