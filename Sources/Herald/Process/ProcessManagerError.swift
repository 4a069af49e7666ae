/// A step of a process manager that could not complete, with what to do about it.
public struct ProcessManagerError: Error, Hashable, CustomStringConvertible {
    /// What went wrong.
    public var message: String

    /// Creates an error.
    public init(_ message: String) {
        self.message = message
    }

    public var description: String { "ProcessManagerError: \(message)" }
}
