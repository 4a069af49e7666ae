/// Limits how long one call of the next handler may take.
///
/// The call runs in a child task racing a sleep on `clock`. When the sleep wins, the call's task is
/// cancelled and the middleware throws ``HandlerTimeoutError``; it returns only once the call has
/// ended, so a handler that ignores cancellation delays the error until it finishes. Placed inside a
/// ``RetryMiddleware``, it limits each attempt separately.
public struct TimeoutMiddleware: EventMiddleware {
    /// How long one call may take.
    public let limit: Duration
    private let clock: any Clock<Duration>

    /// Creates a timeout middleware allowing each call `limit`, measured on `clock`.
    public init(limit: Duration, clock: any Clock<Duration> = ContinuousClock()) {
        precondition(limit > .zero, "TimeoutMiddleware: limit \(limit) must be positive")
        self.limit = limit
        self.clock = clock
    }

    public func handle(_ event: Event, context: HandlerContext, next: EventHandler) async throws -> [Event] {
        // The task group awaits both children before returning, so `next` never outlives this call.
        try await withoutActuallyEscaping(next) { next in
            try await withThrowingTaskGroup(of: [Event]?.self) { group in
                group.addTask { try await next(event, context) }
                group.addTask { [clock, limit] in
                    try await clock.sleep(for: limit)
                    return nil
                }
                defer { group.cancelAll() }
                // Two children were added, so the group has a first result.
                guard let events = try await group.next()! else {
                    throw HandlerTimeoutError(handlerName: context.handlerName, limit: limit)
                }
                return events
            }
        }
    }
}

/// Thrown by ``TimeoutMiddleware`` when a handler did not finish within the limit.
public struct HandlerTimeoutError: Error, CustomStringConvertible {
    /// The handler that took too long.
    public var handlerName: String
    /// The limit it exceeded.
    public var limit: Duration

    /// Creates the error for `handlerName` exceeding `limit`.
    public init(handlerName: String, limit: Duration) {
        self.handlerName = handlerName
        self.limit = limit
    }

    public var description: String {
        "handler '\(handlerName)' did not finish within \(limit); "
            + "raise the TimeoutMiddleware limit or make the handler return sooner"
    }
}
