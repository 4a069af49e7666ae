import Logging
import Metrics

/// Calls the next handler again when it throws, waiting longer before each retry.
///
/// The delay before retry `n` is `initialDelay × multiplier^(n-1)`, capped at `maxDelay`, then spread at
/// random within ±`jitter` of itself so that handlers failing together do not retry together; a jittered
/// delay can therefore reach `maxDelay × (1 + jitter)`. The next handler sees ``HandlerContext/attempt``
/// 1, 2, ... on its successive calls. After the last attempt, or when `shouldRetry` refuses an error, the
/// middleware rethrows the handler's last error unchanged.
///
/// On a durable source (``HandlerContext/deliveryLimit`` is set) the middleware does not wait in memory.
/// The group counts the attempts: the middleware calls the next handler once, and when it throws an error
/// worth retrying before the group's last attempt, throws a ``RedeliveryRequest`` with the delay this
/// attempt would have waited, which the consumer turns into a delayed negative acknowledgement. On the last
/// attempt, and for an error `shouldRetry` refuses, it rethrows the error. `maxAttempts` applies on the bus
/// only; a durable group's own `maxAttempts` counts there.
///
/// Cancellation stops the retries: a task cancelled while waiting throws `CancellationError` at once, and
/// a task cancelled during an attempt rethrows that attempt's error without retrying.
///
/// Each retry increments the counter `herald_handler_retries_total`, dimension `handler`.
public struct RetryMiddleware: EventMiddleware {
    /// How many calls of the next handler at most, counting the first.
    public let maxAttempts: Int
    /// The delay before the first retry.
    public let initialDelay: Duration
    /// The factor each delay grows by.
    public let multiplier: Double
    /// The largest delay before jitter.
    public let maxDelay: Duration
    /// How far, as a fraction of the delay, jitter may move it either way.
    public let jitter: Double
    private let shouldRetry: @Sendable (any Error) -> Bool
    private let clock: any Clock<Duration>
    private let random: @Sendable (ClosedRange<Double>) -> Double
    private let metricsFactory: any MetricsFactory

    /// Retries every error but `CancellationError`, the default `shouldRetry`.
    public static let retryUnlessCancelled: @Sendable (any Error) -> Bool = { !($0 is CancellationError) }

    /// Creates a retry middleware.
    ///
    /// - Parameters:
    ///   - maxAttempts: Calls of the next handler at most, counting the first; at least 1.
    ///   - initialDelay: The delay before the first retry.
    ///   - multiplier: The factor each delay grows by; at least 1.
    ///   - maxDelay: The cap on the delay before jitter; at least `initialDelay`.
    ///   - jitter: The fraction of the delay, in `0...1`, by which jitter may move it either way.
    ///   - shouldRetry: Whether an error is worth retrying; the default retries all but cancellation.
    ///   - clock: The clock the delays are slept on.
    ///   - random: Picks the jitter factor from the range it is given; inject a fixed one in tests.
    ///   - metricsFactory: Where the retry counter is created.
    public init(
        maxAttempts: Int = 3,
        initialDelay: Duration = .milliseconds(100),
        multiplier: Double = 2,
        maxDelay: Duration = .seconds(30),
        jitter: Double = 0.2,
        shouldRetry: @escaping @Sendable (any Error) -> Bool = RetryMiddleware.retryUnlessCancelled,
        clock: any Clock<Duration> = ContinuousClock(),
        random: @escaping @Sendable (ClosedRange<Double>) -> Double = { Double.random(in: $0) },
        metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        precondition(maxAttempts >= 1, "RetryMiddleware: maxAttempts \(maxAttempts) must be at least 1")
        precondition(initialDelay >= .zero, "RetryMiddleware: initialDelay \(initialDelay) must not be negative")
        precondition(multiplier >= 1, "RetryMiddleware: multiplier \(multiplier) must be at least 1")
        precondition(maxDelay >= initialDelay, "RetryMiddleware: maxDelay \(maxDelay) must be at least initialDelay")
        precondition((0...1).contains(jitter), "RetryMiddleware: jitter \(jitter) must be within 0...1")
        self.maxAttempts = maxAttempts
        self.initialDelay = initialDelay
        self.multiplier = multiplier
        self.maxDelay = maxDelay
        self.jitter = jitter
        self.shouldRetry = shouldRetry
        self.clock = clock
        self.random = random
        self.metricsFactory = metricsFactory
    }

    public func handle(_ event: Event, context: HandlerContext, next: EventHandler) async throws -> [Event] {
        if let deliveryLimit = context.deliveryLimit {
            do {
                return try await next(event, context)
            } catch {
                guard context.attempt < deliveryLimit, shouldRetry(error), !Task.isCancelled else { throw error }
                Counter(
                    label: "herald_handler_retries_total",
                    dimensions: [("handler", context.handlerName)],
                    factory: metricsFactory
                )
                .increment()
                throw RedeliveryRequest(delay: delay(beforeRetry: context.attempt), underlying: error)
            }
        }
        var context = context
        var attempt = 1
        while true {
            context.attempt = attempt
            do {
                return try await next(event, context)
            } catch {
                guard attempt < maxAttempts, shouldRetry(error), !Task.isCancelled else { throw error }
                let delay = delay(beforeRetry: attempt)
                context.logger.debug(
                    "handler failed, retrying",
                    metadata: ["attempt": "\(attempt)", "delay": "\(delay)", "error": "\(error)"]
                )
                try await clock.sleep(for: delay)
                Counter(
                    label: "herald_handler_retries_total",
                    dimensions: [("handler", context.handlerName)],
                    factory: metricsFactory
                )
                .increment()
                attempt += 1
            }
        }
    }

    /// The jittered delay before retry number `retry`, counting from 1.
    private func delay(beforeRetry retry: Int) -> Duration {
        let cap = maxDelay.nanosecondsValue
        var base = min(initialDelay.nanosecondsValue, cap)
        for _ in 1..<retry where base < cap {
            base = min(base * multiplier, cap)
        }
        let factor = jitter > 0 ? max(0, 1 + random(-jitter...jitter)) : 1
        return .nanoseconds(Int64(min(base * factor, Double(Int64.max / 2)).rounded()))
    }
}

extension Duration {
    fileprivate var nanosecondsValue: Double {
        Double(components.seconds) * 1e9 + Double(components.attoseconds) / 1e9
    }
}
