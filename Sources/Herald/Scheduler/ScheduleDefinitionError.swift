/// Why a schedule definition was refused: the field at fault (`cron.hour`, `timezone`, `event.source`...) and
/// what it must be.
public struct ScheduleDefinitionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The field at fault, as a dotted path in the JSON form, or `nil` when the definition as a whole is wrong.
    public var field: String?
    /// What was wrong and how to fix it.
    public var message: String

    /// Creates an error.
    public init(field: String?, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { message }
}
