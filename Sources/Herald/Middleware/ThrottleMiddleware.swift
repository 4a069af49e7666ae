import Logging
import Synchronization

/// Limits how often the next handler is called: `events` per `period`, with bursts of up to `burst`.
///
/// The limit is a token bucket holding `burst` tokens, refilled at `events` per `period` and full at the
/// start. A call takes a token; when none is left it waits on `clock` until its token is due and never
/// drops the event. Waiting calls are served in the order they arrived. A call cancelled while waiting
/// throws `CancellationError` and its token stays used.
///
/// Every handler wrapped by the same instance shares the one bucket; give each handler its own instance
/// to limit them separately.
public struct ThrottleMiddleware: EventMiddleware {
    /// How many calls each `period` allows on average.
    public let events: Int
    /// The period `events` is counted over.
    public let period: Duration
    /// How many calls may run back to back after a quiet spell.
    public let burst: Int
    private let clock: ElapsedClock
    private let bucket: Bucket

    /// Creates a throttle allowing `events` calls per `period`, in bursts of up to `burst`, timed on
    /// `clock`.
    public init(
        events: Int,
        per period: Duration,
        burst: Int = 1,
        clock: any Clock<Duration> = ContinuousClock()
    ) {
        precondition(events >= 1, "ThrottleMiddleware: events \(events) must be at least 1")
        precondition(period > .zero, "ThrottleMiddleware: period \(period) must be positive")
        precondition(burst >= 1, "ThrottleMiddleware: burst \(burst) must be at least 1")
        self.events = events
        self.period = period
        self.burst = burst
        self.clock = ElapsedClock(clock)
        self.bucket = Bucket()
    }

    public func handle(_ event: Event, context: HandlerContext, next: EventHandler) async throws -> [Event] {
        let wait = bucket.takeToken(now: clock.now, interval: period / events, burst: burst)
        if wait > .zero {
            context.logger.debug("throttled, waiting for the rate limit", metadata: ["wait": "\(wait)"])
            try await clock.sleep(wait)
        }
        return try await next(event, context)
    }

    /// The bucket every copy of the middleware shares.
    private final class Bucket: Sendable {
        /// When the bucket will be full again if no more tokens are taken, as time on the middleware's
        /// clock. Tracking this one instant instead of a token count keeps the arithmetic exact.
        private let fullAt = Mutex(Duration.zero)

        /// Takes a token and returns how long to wait until it is due, zero if it is available now.
        func takeToken(now: () -> Duration, interval: Duration, burst: Int) -> Duration {
            fullAt.withLock { fullAt in
                // Read inside the lock so that calls see time in the order they take tokens.
                let now = now()
                // The token is due when the bucket, refilling from `start`, has room for a whole burst.
                let start = max(fullAt, now)
                fullAt = start + interval
                return max(.zero, start - interval * (burst - 1) - now)
            }
        }
    }
}
