import Herald
import Hummingbird
import NIOCore
import Prometheus
import Synchronization

/// `GET /metrics`: the server's metrics in the Prometheus text format.
///
/// Figures that live in the store (the log's last sequence, each consumer group's lag, in-flight and dead-letter
/// counts) are read when scraped, so they are never stale; gauges of groups deleted since the last scrape are
/// removed.
public struct MetricsController: Sendable {
    let store: any EventLog & ConsumerGroupStore
    let metrics: ServerMetrics
    private let gauges: StoreGauges

    /// Creates the route over `store`, emitting `metrics`.
    public init(store: any EventLog & ConsumerGroupStore, metrics: ServerMetrics) {
        self.store = store
        self.metrics = metrics
        self.gauges = StoreGauges(registry: metrics.registry)
    }

    /// Adds `GET /metrics` to `router`.
    public func addRoutes(to router: Hummingbird.Router<HeraldRequestContext>) {
        router.on("metrics", method: .get, scope: .admin) { _, _ in
            do {
                gauges.update(lastSequence: try await store.lastSequence(), groups: try await store.groups())
            } catch let error as EventLogError where error.code == .unavailable {
                throw ProblemDetails.storeOutage("could not read the store's figures for the metrics: \(error.message)")
            } catch {
                throw ProblemDetails.storeUnavailable(
                    "could not read the store's figures for the metrics: \(error); check that the store is open "
                        + "and reachable")
            }
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.registry.emitToBuffer())))
        }
    }
}

/// The gauges read from the store at scrape time.
final class StoreGauges: Sendable {
    private struct GroupGauges {
        let lag: Prometheus.Gauge
        let inFlight: Prometheus.Gauge
        let deadLetters: Prometheus.Gauge
    }

    private let registry: PrometheusCollectorRegistry
    private let lastSequence: Prometheus.Gauge
    private let groups = Mutex<[String: GroupGauges]>([:])

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        self.lastSequence = registry.makeGauge(
            descriptor: .herald("herald_log_last_sequence", help: "The newest sequence in the event log."))
    }

    func update(lastSequence sequence: Int64, groups infos: [ConsumerGroupInfo]) {
        lastSequence.set(Double(sequence))
        groups.withLock { known in
            var seen = Set<String>()
            for info in infos {
                let name = info.configuration.name
                seen.insert(name)
                let gauges =
                    known[name]
                    ?? GroupGauges(
                        lag: registry.makeGauge(
                            descriptor: .herald(
                                "herald_group_lag",
                                help: "Events of the group's topic not yet acknowledged by the group."),
                            labels: [("group", name)]),
                        inFlight: registry.makeGauge(
                            descriptor: .herald(
                                "herald_group_in_flight",
                                help: "Deliveries of the group leased to a consumer and not yet settled."),
                            labels: [("group", name)]),
                        deadLetters: registry.makeGauge(
                            descriptor: .herald(
                                "herald_group_dead_letters",
                                help: "Events the group gave up on after its maximum attempts."),
                            labels: [("group", name)]))
                known[name] = gauges
                gauges.lag.set(Double(info.lag))
                gauges.inFlight.set(Double(info.inFlight))
                gauges.deadLetters.set(Double(info.deadLetters))
            }
            for (name, gauges) in known where !seen.contains(name) {
                registry.unregisterGauge(gauges.lag)
                registry.unregisterGauge(gauges.inFlight)
                registry.unregisterGauge(gauges.deadLetters)
                known[name] = nil
            }
        }
    }
}
