import Metrics

/// Counts and times every call of the next handler with swift-metrics.
///
/// Reports, each with the dimension `handler`:
/// - `herald_events_handled_total`: a counter of finished calls, successful or not;
/// - `herald_events_failed_total`: a counter of the calls that threw;
/// - `herald_handling_duration_seconds`: a timer of every call's duration, recorded in nanoseconds.
///
/// Errors are rethrown unchanged. Placed outside a ``RetryMiddleware``, it counts an event once however
/// many attempts it took; inside, it counts each attempt.
public struct MetricsMiddleware: EventMiddleware {
    private let metricsFactory: any MetricsFactory
    private let clock: ElapsedClock

    /// Creates a metrics middleware reporting to `metricsFactory` and timing calls on `clock`.
    public init(
        metricsFactory: any MetricsFactory = MetricsSystem.factory,
        clock: any Clock<Duration> = ContinuousClock()
    ) {
        self.metricsFactory = metricsFactory
        self.clock = ElapsedClock(clock)
    }

    public func handle(_ event: Event, context: HandlerContext, next: EventHandler) async throws -> [Event] {
        let dimensions = [("handler", context.handlerName)]
        let start = clock.now()
        defer {
            Timer(label: "herald_handling_duration_seconds", dimensions: dimensions, factory: metricsFactory)
                .record(duration: clock.now() - start)
            Counter(label: "herald_events_handled_total", dimensions: dimensions, factory: metricsFactory)
                .increment()
        }
        do {
            return try await next(event, context)
        } catch {
            Counter(label: "herald_events_failed_total", dimensions: dimensions, factory: metricsFactory)
                .increment()
            throw error
        }
    }
}
