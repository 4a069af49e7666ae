import ArgumentParser
import Foundation
import Herald
import HeraldClient

/// `herald tail`: prints events as the server stores them, until Ctrl-C.
struct TailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Print events as a running Herald server stores them, one line each, until Ctrl-C.",
        discussion: """
            Each line: sequence, time, type, subject, and a preview of the data. Without --after, only \
            events stored from now on are printed. When the server closes the stream (it drops a client \
            that falls too far behind), tail reconnects and resumes after the last event it printed.
            """
    )

    @Option(help: "Only event types matching this pattern, such as orders.* or orders.>.")
    var topic: String?

    @Option(help: "Start with the events after this sequence (0: from the first).")
    var after: Int64?

    @OptionGroup var serverOptions: ServerOptions

    func validate() throws {
        if let after, after < 0 { throw ValidationError("--after must be 0 or more, got \(after)") }
    }

    func run() async throws {
        try await serverOptions.withClient { client in
            for try await stored in client.stream(topic: topic, after: after) {
                Output.line(Output.eventLine(stored))
            }
        }
    }
}
