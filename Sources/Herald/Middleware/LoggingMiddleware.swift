import Logging

/// Logs the outcome of every call of the next handler, and gives the inner chain a logger that says
/// which event it is handling.
///
/// The logger in the context passed on carries the metadata `handler`, `event_id`, `event_type` and
/// `correlation_id` (the event's correlation id, or its own id when it starts a chain). A success is
/// logged at debug level, a failure at `failureLevel` with the error; errors are rethrown unchanged.
public struct LoggingMiddleware: EventMiddleware {
    /// The level failures are logged at.
    public let failureLevel: Logger.Level

    /// Creates a logging middleware that logs failures at `failureLevel`.
    public init(failureLevel: Logger.Level = .warning) {
        self.failureLevel = failureLevel
    }

    public func handle(_ event: Event, context: HandlerContext, next: EventHandler) async throws -> [Event] {
        var context = context
        context.logger[metadataKey: "handler"] = "\(context.handlerName)"
        context.logger[metadataKey: "event_id"] = "\(event.id)"
        context.logger[metadataKey: "event_type"] = "\(event.type)"
        context.logger[metadataKey: "correlation_id"] = "\(event.correlationID ?? event.id)"
        do {
            let events = try await next(event, context)
            context.logger.debug("handled event", metadata: ["published": "\(events.count)"])
            return events
        } catch {
            context.logger.log(level: failureLevel, "handler failed", metadata: ["error": "\(error)"])
            throw error
        }
    }
}
