import Herald

/// A user was inserted into the `users` table: published as `user.registered` in the same transaction.
public struct UserRegistered: EventPayload, Hashable {
    public static let eventType = "user.registered"

    /// The user's row id in `users`.
    public var userID: Int64
    /// The user's email address.
    public var email: String
    /// The user's name.
    public var name: String

    /// Creates the event's payload.
    public init(userID: Int64, email: String, name: String) {
        self.userID = userID
        self.email = email
        self.name = name
    }
}
