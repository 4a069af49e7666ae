/// A ``HeraldServerConfiguration`` the server cannot run with: which setting, and how to fix it.
public struct HeraldServerConfigurationError: Error, Hashable, CustomStringConvertible {
    /// What is wrong and how to fix it.
    public var message: String

    /// Creates an error.
    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
