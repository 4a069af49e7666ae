import Herald

/// Someone filled in the sign-up form: published as `user.registration.requested`.
public struct RegistrationRequested: EventPayload, Hashable {
    public static let eventType = "user.registration.requested"

    /// The applicant's email address, which must not be registered yet.
    public var email: String
    /// The applicant's name.
    public var name: String

    /// Creates a request.
    public init(email: String, name: String) {
        self.email = email
        self.name = name
    }
}
