import ArgumentParser

/// `herald-bench`: Herald's benchmarks.
@main
struct HeraldBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "herald-bench",
        abstract: "Measures Herald against the peers a Swift developer would otherwise use.",
        subcommands: [BusCommand.self, LogCommand.self, HTTPCommand.self]
    )
}

/// `herald-bench bus`: the in-process bus against AsyncStream, AsyncChannel and NotificationCenter.
struct BusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bus",
        abstract: "In-process bus throughput and publish-to-handler latency, with peers in the same run."
    )

    @Flag(help: "Print one JSON object per line instead of a markdown table.")
    var json = false

    @Option(help: "Handler calls per throughput run.")
    var deliveries = 1_000_000

    @Option(help: "Throughput runs per case and implementation; the median is reported.")
    var runs = 3

    @Option(help: "Handler calls per second during latency runs.")
    var latencyRate = 100_000

    @Option(help: "Seconds each latency run lasts.")
    var latencySeconds = 1.0

    @Option(
        help: "Comma-separated cases to run (1to1, fanout10, 4to1, keyed, match10k, match10k_exact); all by default."
    )
    var cases: String?

    @Option(help: "Comma-separated implementations to run (herald, asyncstream, asyncchannel, notificationcenter).")
    var impls: String?

    func validate() throws {
        guard deliveries > 0, runs > 0, latencyRate > 0, latencySeconds > 0 else {
            throw ValidationError("--deliveries, --runs, --latency-rate and --latency-seconds must be positive")
        }
    }

    func run() async throws {
        let suite = BusSuite(
            deliveries: deliveries, runs: runs, latencyRate: latencyRate,
            latencyDuration: .milliseconds(Int(latencySeconds * 1000)))
        if !json { print(BenchResult.tableHeader) }
        func names(_ list: String?) -> Set<String>? { list.map { Set($0.split(separator: ",").map(String.init)) } }
        try await suite.run(cases: names(cases), impls: names(impls)) { result in
            print(json ? result.jsonLine : result.tableRow)
        }
    }
}
