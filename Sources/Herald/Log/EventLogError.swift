/// An error from an event log or consumer group store: a code to match on and a message that says what
/// was wrong and what to do.
public struct EventLogError: Error, Hashable, CustomStringConvertible {
    /// The kind of failure; an open set, compared by value.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String

        /// A stream was not at the expected version; nothing of the batch was stored.
        public static let versionConflict = Code(name: "versionConflict")
        /// An argument is out of range or inconsistent, such as an event whose subject is not the stream.
        public static let invalidArgument = Code(name: "invalidArgument")
        /// No consumer group has the given name.
        public static let groupNotFound = Code(name: "groupNotFound")
        /// A consumer group with that name exists with other settings.
        public static let groupConflict = Code(name: "groupConflict")
        /// The storage failed or refused: unreadable file, full disk, newer schema, lost connection.
        public static let storage = Code(name: "storage")
        /// The storage cannot be reached now (a lost connection, a database restarting); nothing of the
        /// failed call was stored unless its result said so. Retry later.
        public static let unavailable = Code(name: "unavailable")
        /// The store was closed.
        public static let closed = Code(name: "closed")

        public var description: String { name }
    }

    /// What went wrong.
    public var code: Code
    /// What went wrong in words, and how to fix it.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "EventLogError.\(code): \(message)" }

    package static func versionConflict(stream: String, expected: Int, actual: Int) -> EventLogError {
        EventLogError(
            .versionConflict,
            "stream '\(stream)' is at version \(actual), not the expected \(expected); nothing was appended. "
                + "Read the stream again and retry with version \(actual)."
        )
    }

    static func groupNotFound(_ name: String) -> EventLogError {
        EventLogError(.groupNotFound, "no consumer group named '\(name)'; create it first")
    }
}

extension EventLogError {
    /// The error of `call`, made inside a transaction of the same store: it would wait for the transaction,
    /// which waits for it. `instead` says what to do.
    package static func insideOwnTransaction(_ call: String, instead: String) -> EventLogError {
        EventLogError(
            .invalidArgument, "\(call) inside a transaction of the same store, which would wait for itself; \(instead)")
    }
}
