import ArgumentParser
import Foundation
import Herald
import HeraldClient

/// `herald query`: prints one page of stored events.
struct QueryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Print stored events from a running Herald server, oldest first.",
        discussion: """
            Prints one line per event (sequence, time, type, subject, data preview), or with --json one \
            {"sequence":N,"event":{...}} object per line. When the page is full, stderr tells the --after \
            that reads the next one.
            """
    )

    @Option(help: "Only event types matching this pattern, such as orders.* or orders.>.")
    var topic: String?

    @Option(help: "Only events with this source.")
    var source: String?

    @Option(help: "Only events with this subject.")
    var subject: String?

    @Option(help: "Only events after this sequence.")
    var after: Int64?

    @Option(help: "At most this many events, 1 to 1000. (default: 100)")
    var limit: Int?

    @Flag(help: "Print each event as a JSON line instead of text.")
    var json = false

    @OptionGroup var serverOptions: ServerOptions

    func validate() throws {
        if let after, after < 0 { throw ValidationError("--after must be 0 or more, got \(after)") }
        if let limit, !(1...1000).contains(limit) {
            throw ValidationError("--limit must be from 1 to 1000, got \(limit)")
        }
    }

    func run() async throws {
        let page = try await serverOptions.withClient { client in try await self.page(using: client) }
        for line in Self.lines(page, json: json) { Output.line(line) }
        if page.events.count == (limit ?? 100) {
            Output.error("more events may follow: add --after \(page.nextAfter)")
        }
    }

    /// The page the options ask for.
    func page(using client: HeraldClient) async throws -> EventPage {
        try await client.query(topic: topic, source: source, subject: subject, after: after, limit: limit)
    }

    /// The lines printed for a page.
    static func lines(_ page: EventPage, json: Bool) -> [String] {
        page.events.map(json ? Output.jsonLine : Output.eventLine)
    }
}
