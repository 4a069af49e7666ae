import Logging

/// Stops causal chains that run forever: an event whose `hops` exceed the limit is dead-lettered with the
/// reason instead of being handled.
///
/// The ``Router`` installs it outermost on every handler with ``Router/Configuration/maxHops``, so a
/// handler that feeds itself handles `maxHops + 1` generations of events and then stops. A dead letter
/// over the limit is dropped with an error log rather than dead-lettered again.
public struct LoopGuardMiddleware: EventMiddleware {
    /// The highest `hops` value that is still handled.
    public let maxHops: Int

    /// Creates a loop guard; 16 hops by default.
    public init(maxHops: Int = 16) {
        self.maxHops = maxHops
    }

    public func handle(_ event: Event, context: HandlerContext, next: EventHandler) async throws -> [Event] {
        guard event.hops > maxHops else { return try await next(event, context) }
        let reason =
            "loop guard: the event has passed \(event.hops) handlers, more than the limit of \(maxHops); "
            + "a chain of handlers is probably feeding itself (raise Router.Configuration.maxHops if not)"
        guard event.type != DeadLetter.topic else {
            context.logger.error("dead letter dropped by the loop guard", metadata: ["reason": "\(reason)"])
            return []
        }
        let deadLetter = DeadLetter(event: event, handlerName: context.handlerName, reason: reason, attempts: 0)
        try await context.publisher.publish(deadLetter.makeEvent())
        context.logger.warning("event stopped by the loop guard", metadata: ["hops": "\(event.hops)"])
        return []
    }
}
