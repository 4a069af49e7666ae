import Logging
import Metrics

/// Publishes an event that its handler failed on to `herald.deadletter`, so that nothing is lost.
///
/// Place it outermost (before ``RetryMiddleware``) so it sees only the error of the last attempt; on a
/// durable source it lets a ``RedeliveryRequest`` through, and publishes the dead letter to the source. The
/// handled call then counts as done: the error is not rethrown. A dead letter that itself fails is not
/// dead-lettered again (that could loop); its error is rethrown, so the bus logs and counts it.
/// Counts `herald_events_dead_lettered_total` with the dimension `handler`.
public struct DeadLetterMiddleware: EventMiddleware {
    private let metricsFactory: any MetricsFactory

    /// Creates the middleware; metrics go to `metricsFactory` (the global `MetricsSystem` by default).
    public init(metricsFactory: any MetricsFactory = MetricsSystem.factory) {
        self.metricsFactory = metricsFactory
    }

    public func handle(_ event: Event, context: HandlerContext, next: EventHandler) async throws -> [Event] {
        do {
            return try await next(event, context)
        } catch let error as CancellationError {
            throw error
        } catch let request as RedeliveryRequest {
            // A durable source delivers the event again; it is not given up on yet.
            throw request
        } catch {
            guard event.type != DeadLetter.topic else { throw error }
            let deadLetter = DeadLetter(
                event: event,
                handlerName: context.handlerName,
                reason: String(describing: error),
                attempts: context.attemptsMade
            )
            try await context.publisher.publish(deadLetter.makeEvent())
            Counter(
                label: "herald_events_dead_lettered_total",
                dimensions: [("handler", context.handlerName)],
                factory: metricsFactory
            ).increment()
            context.logger.warning(
                "event dead-lettered",
                metadata: ["error": "\(error)", "attempts": "\(deadLetter.attempts)"]
            )
            return []
        }
    }
}
