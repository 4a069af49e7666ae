/// An error from the in-process event bus: a code to match on and a message that says what to do.
public struct EventBusError: Error, Hashable, CustomStringConvertible {
    /// The kind of failure; an open set, compared by value.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String

        /// A subscription with ``BackpressurePolicy/fail`` had a full buffer.
        public static let bufferFull = Code(name: "bufferFull")
        /// A publish waited longer than its timeout for a subscription's buffer to have room.
        public static let publishTimedOut = Code(name: "publishTimedOut")
        /// The bus is shutting down or shut down and takes no more events.
        public static let shutDown = Code(name: "shutDown")
        /// Subscription options out of range.
        public static let invalidOptions = Code(name: "invalidOptions")

        public var description: String { name }
    }

    /// What went wrong.
    public var code: Code
    /// What went wrong in words, and how to fix it.
    public var message: String
    /// The subscriptions concerned, by name, for ``Code/bufferFull`` and ``Code/publishTimedOut``.
    public var subscriptions: [String]

    init(_ code: Code, _ message: String, subscriptions: [String] = []) {
        self.code = code
        self.message = message
        self.subscriptions = subscriptions
    }

    public var description: String { "EventBusError.\(code): \(message)" }
}
