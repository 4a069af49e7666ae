/// Why a cron expression could not be parsed.
///
/// `message` is meant for people: it names the field (when one is at fault), the bad part and the whole expression,
/// for example `cron field 'hour' value '25' is out of range 0-23 in "0 25 * * *"`. `field` names the offending
/// field (`minute`, `hour`, `day-of-month`, `month`, `day-of-week`) so an API can point at it; it is `nil` when the
/// expression as a whole is wrong (empty, too long, wrong number of fields, unknown macro).
public struct CronExpressionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A human-readable explanation that names the bad part and says what is allowed.
    public let message: String
    /// The name of the field at fault, or `nil` when the expression as a whole is wrong.
    public let field: String?

    /// Creates an error with a message and, optionally, the name of the field at fault.
    public init(message: String, field: String? = nil) {
        self.message = message
        self.field = field
    }

    /// The message.
    public var description: String { message }
}
