import Prometheus

extension MetricNameDescriptor {
    /// The descriptor of the metric called `name` in full, such as `herald_events_published_total`: a `_total`
    /// ending is its unit, as Prometheus names counters.
    static func herald(_ name: String, help: String = "") -> MetricNameDescriptor {
        let isTotal = name.hasSuffix("_total")
        return MetricNameDescriptor(
            metricName: isTotal ? String(name.dropLast("_total".count)) : name, unitName: isTotal ? "total" : "",
            helpText: help)
    }
}
