/// Wraps a handler: runs code before and after it, retries it, or decides not to call it.
///
/// Herald uses Hummingbird's middleware shape: a middleware receives the event, the context and the
/// next handler in the chain, and returns what the chain returns. The first middleware in a list is the
/// outermost, so `[deadLetter, retry, timeout]` dead-letters after the last retry, and times out each
/// attempt separately.
public protocol EventMiddleware: Sendable {
    /// Handles `event`, calling `next` zero or more times.
    func handle(_ event: Event, context: HandlerContext, next: EventHandler) async throws -> [Event]
}

extension Array where Element == any EventMiddleware {
    /// The handler with every middleware of the array wrapped around it, the first outermost.
    public func wrapping(_ handler: @escaping EventHandler) -> EventHandler {
        reversed().reduce(handler) { next, middleware in
            { event, context in try await middleware.handle(event, context: context, next: next) }
        }
    }
}
