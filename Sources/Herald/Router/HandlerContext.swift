import Logging

/// What a handler and its middleware know about the call in progress.
public struct HandlerContext: Sendable {
    /// The name the handler was registered under.
    public var handlerName: String
    /// Which attempt this is, starting at 1; ``RetryMiddleware`` raises it on each retry.
    public var attempt: Int
    /// A logger whose metadata carries the handler name, event id and correlation id.
    public var logger: Logger
    /// Where middleware publishes events of its own, such as dead letters.
    public var publisher: any EventPublisher

    /// Creates a context; the router does this for every event it hands to a handler.
    public init(handlerName: String, attempt: Int = 1, logger: Logger, publisher: any EventPublisher) {
        self.handlerName = handlerName
        self.attempt = attempt
        self.logger = logger
        self.publisher = publisher
    }
}
