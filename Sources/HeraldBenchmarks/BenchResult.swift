import Foundation

/// One measured figure set: a row of the markdown table and one JSON line.
struct BenchResult: Sendable {
    var suite: String
    var `case`: String
    var impl: String
    var eventsPerSecond: Double
    var p50Microseconds: Double
    var p99Microseconds: Double

    var jsonLine: String {
        let fields: [(String, String)] = [
            ("suite", quoted(suite)), ("case", quoted(`case`)), ("impl", quoted(impl)),
            ("events_per_s", String(Int(eventsPerSecond.rounded()))),
            ("p50_us", String(format: "%.1f", p50Microseconds)),
            ("p99_us", String(format: "%.1f", p99Microseconds)),
        ]
        return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    static let tableHeader = "| suite | case | impl | events/s | p50 µs | p99 µs |\n|---|---|---|---:|---:|---:|"

    var tableRow: String {
        "| \(suite) | \(`case`) | \(impl) | \(Int(eventsPerSecond.rounded())) | "
            + String(format: "%.1f | %.1f |", p50Microseconds, p99Microseconds)
    }

    private func quoted(_ text: String) -> String { "\"\(text)\"" }
}
