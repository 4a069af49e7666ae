import ArgumentParser
import Foundation

/// `herald-bench http`: the HTTP API of `herald serve` on a temporary SQLite store.
struct HTTPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http",
        abstract: "herald serve over HTTP on SQLite: single and batch POST, SSE fan-out and publish-to-SSE latency."
    )

    @Flag(help: "Print one JSON object per line instead of a markdown table.")
    var json = false

    @Option(help: "The SQLite file for the server (deleted and recreated for each case).")
    var path = FileManager.default.temporaryDirectory.appendingPathComponent("herald-bench-http.db").path

    @Option(help: "Seconds each throughput case runs (each is also bounded in requests).")
    var seconds = 5.0

    @Option(help: "Concurrent connections of the POST cases.")
    var connections = 64

    @Option(help: "SSE clients of the fan-out case.")
    var sseClients = 100

    @Option(
        help: """
            Comma-separated cases (post_single, post_batch100, sse_fanout, sse_latency, group_consume4 (4 HeraldClient \
            consumers), router_remote (a Router handler on a remote group, 8 at once)); all by default.
            """)
    var cases: String?

    @Option(
        help: """
            Run the remote consume cases (group_consume4, router_remote) against this running server, such as \
            `herald serve`, instead of one in this process.
            """)
    var url: String?

    func validate() throws {
        guard seconds > 0, seconds <= 600 else { throw ValidationError("--seconds must be in (0, 600]") }
        guard (1...1024).contains(connections) else { throw ValidationError("--connections must be 1 to 1024") }
        guard (1...1000).contains(sseClients) else { throw ValidationError("--sse-clients must be 1 to 1000") }
    }

    func run() async throws {
        let selected = cases.map { Set($0.split(separator: ",").map(String.init)) }
        let suite = HTTPSuite(
            path: path, duration: .milliseconds(Int(seconds * 1000)), connections: connections, sseClients: sseClients)
        if !json { FileHandle.standardOutput.write(Data((BenchResult.tableHeader + "\n").utf8)) }
        let report: (BenchResult) -> Void = { result in
            // Unbuffered, so that each figure shows as soon as its case ends, even through a pipe.
            FileHandle.standardOutput.write(Data(((json ? result.jsonLine : result.tableRow) + "\n").utf8))
        }
        if let url {
            try await suite.runRemote(url: url, cases: selected, report: report)
        } else {
            try await suite.run(cases: selected, report: report)
        }
    }
}
