import Hummingbird
import Logging

/// Middleware that holds each API key to its rate limit: the key's own ``APIKey/rateLimit``, else the server's
/// `defaultLimit`; over it, the request gets `429 Too Many Requests` with `Retry-After` in whole seconds and is
/// counted in `herald_rate_limited_requests_total{key}`.
///
/// Place it after ``APIKeyAuthenticator``, which sets the key. Every request that presents a known key counts,
/// whatever its route; requests without one (on a server without keys, or to the routes that need none, such as
/// the health probes, sent without a key) are not limited: a server without keys listens on a loopback or
/// otherwise trusted network only. A stream counts as one request when it opens; each event published over a
/// WebSocket counts as one more.
public struct RateLimitMiddleware: RouterMiddleware {
    public typealias Context = HeraldRequestContext

    let limiter: RateLimiter
    let defaultLimit: RateLimit?
    let metrics: ServerMetrics
    let logger: Logger

    /// Creates the middleware, limiting keys without their own limit to `defaultLimit` (none when `nil`).
    public init(limiter: RateLimiter, defaultLimit: RateLimit?, metrics: ServerMetrics, logger: Logger) {
        self.limiter = limiter
        self.defaultLimit = defaultLimit
        self.metrics = metrics
        self.logger = logger
    }

    public func handle(
        _ request: Request,
        context: HeraldRequestContext,
        next: (Request, HeraldRequestContext) async throws -> Response
    ) async throws -> Response {
        if let key = context.apiKey { try check(key) }
        return try await next(request, context)
    }

    /// Takes one request from `key`'s allowance.
    ///
    /// - Throws: ``ProblemDetails`` (429, with `Retry-After`) when the key is over its limit.
    func check(_ key: APIKey) throws(ProblemDetails) {
        guard let limit = key.rateLimit ?? defaultLimit else { return }
        guard case .limited(let seconds) = limiter.acquire(key: key.name, limit: limit) else { return }
        metrics.recordRateLimited(key: key.name)
        logger.notice(
            "refused a request over the key's rate limit", metadata: ["key": "\(key.name)", "limit": "\(limit)"])
        throw ProblemDetails.rateLimited(key: key.name, limit: limit, retryAfterSeconds: seconds)
    }
}
