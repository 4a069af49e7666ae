import Herald

/// A registration request was refused: published as `user.registration.rejected`, saying why.
public struct RegistrationRejected: EventPayload, Hashable {
    public static let eventType = "user.registration.rejected"

    /// The id of the `user.registration.requested` event refused.
    public var requestID: String
    /// The email address asked for.
    public var email: String
    /// Why, in words, such as `the email 'ada@example.com' is already registered`.
    public var reason: String

    /// Creates the event's payload.
    public init(requestID: String, email: String, reason: String) {
        self.requestID = requestID
        self.email = email
        self.reason = reason
    }
}
