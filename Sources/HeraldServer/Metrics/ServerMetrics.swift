import CoreMetrics
import Herald
import Prometheus

/// The metrics of one server, on its own Prometheus registry, which `GET /metrics` emits.
///
/// Herald's server metrics are made on this registry directly, so that two servers in one process (tests) never
/// share figures. Metrics that libraries record through the global `MetricsSystem` (Hummingbird's request
/// metrics, the bus's counters) appear too when the process bootstraps `MetricsSystem` with a
/// `PrometheusMetricsFactory` on the same registry, as `herald serve` does.
///
/// The names:
/// - `herald_events_published_total{outcome}`: events accepted by `POST /v1/events` or a WebSocket, by outcome
///   `stored`, `duplicate` or `scheduled`.
/// - `herald_events_delivered_total{transport}`: events handed to clients, by `sse`, `ws` (counted by the
///   stream hub) or `group` (deliveries of consumer-group polls, redeliveries included).
/// - `herald_rate_limited_requests_total{key}`: requests refused with 429 because their API key was over its rate
///   limit, by key name.
/// - `herald_signature_rejections_total{reason}`: published events refused because a topic requires signatures
///   and theirs was missing, malformed, by an unknown key or bad; the same name and reasons as HeraldSecurity's
///   `VerifySignaturesMiddleware`.
/// - `herald_log_last_sequence`: the newest sequence in the log, read at scrape time.
/// - `herald_group_lag{group}`, `herald_group_in_flight{group}`, `herald_group_dead_letters{group}`: per
///   consumer group, read at scrape time.
public struct ServerMetrics: Sendable {
    /// The registry `GET /metrics` emits.
    public let registry: PrometheusCollectorRegistry
    /// A swift-metrics factory over ``registry``, for components that take one.
    public let factory: PrometheusMetricsFactory

    private let storedCounter: Prometheus.Counter
    private let duplicateCounter: Prometheus.Counter
    private let scheduledCounter: Prometheus.Counter
    private let groupDeliveredCounter: Prometheus.Counter

    /// Creates the metrics on `registry`.
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        self.factory = PrometheusMetricsFactory(registry: registry)
        let help = "Events accepted over HTTP or WebSocket, by outcome."
        storedCounter = registry.makeCounter(
            descriptor: .herald("herald_events_published_total", help: help), labels: [("outcome", "stored")])
        duplicateCounter = registry.makeCounter(
            descriptor: .herald("herald_events_published_total", help: help), labels: [("outcome", "duplicate")])
        scheduledCounter = registry.makeCounter(
            descriptor: .herald("herald_events_published_total", help: help), labels: [("outcome", "scheduled")])
        // The stream hub counts the `sse` and `ws` transports of the same metric.
        groupDeliveredCounter = registry.makeCounter(
            descriptor: .herald("herald_events_delivered_total"), labels: [("transport", "group")])
    }

    /// Counts a request refused because `key` was over its rate limit.
    func recordRateLimited(key: String) {
        // The registry hands back the same counter for the same name and labels.
        registry.makeCounter(
            descriptor: .herald(
                "herald_rate_limited_requests_total",
                help: "Requests refused with 429 because their API key was over its rate limit."),
            labels: [("key", key)]
        ).increment()
    }

    /// Counts a published event refused for its signature, by `reason` (the `EventSecurityError` code).
    func recordSignatureRejection(reason: String) {
        registry.makeCounter(
            descriptor: .herald(
                "herald_signature_rejections_total",
                help: "Events refused because their signature was missing, malformed, by an unknown key or bad."),
            labels: [("reason", reason)]
        ).increment()
    }

    /// Counts deliveries a consumer-group poll handed out.
    func recordGroupDeliveries(_ count: Int) {
        if count > 0 { groupDeliveredCounter.increment(by: Int64(count)) }
    }

    /// Counts the outcome of one append.
    func recordPublished(_ results: [AppendResult]) {
        var stored = 0
        var duplicates = 0
        var scheduled = 0
        for result in results {
            switch result.outcome {
            case .stored: stored += 1
            case .duplicate, .duplicateScheduled: duplicates += 1
            case .scheduled: scheduled += 1
            }
        }
        if stored > 0 { storedCounter.increment(by: Int64(stored)) }
        if duplicates > 0 { duplicateCounter.increment(by: Int64(duplicates)) }
        if scheduled > 0 { scheduledCounter.increment(by: Int64(scheduled)) }
    }
}
