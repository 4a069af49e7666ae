/// Thrown by middleware on a durable source to have the event delivered again after `delay`, instead of
/// waiting in memory: ``RetryMiddleware`` throws it with its backoff for the attempt, and the
/// ``GroupConsumer`` negatively acknowledges the event with that delay, so the wait survives a restart.
public struct RedeliveryRequest: Error, CustomStringConvertible {
    /// How long the event waits before its next attempt.
    public var delay: Duration
    /// The handler's error.
    public var underlying: any Error

    /// Creates a request to deliver the event again after `delay`, because of `underlying`.
    public init(delay: Duration, underlying: any Error) {
        self.delay = delay
        self.underlying = underlying
    }

    public var description: String { String(describing: underlying) }
}
