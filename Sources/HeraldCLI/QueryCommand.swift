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

    @Option(help: "Only events whose time is at or after this RFC 3339 time, such as 2026-01-01T12:00:00Z.")
    var from: String?

    @Option(help: "Only events whose time is before this RFC 3339 time.")
    var until: String?

    @Option(help: "Only events after this sequence.")
    var after: Int64?

    @Option(help: "At most this many events, 1 to 1000. (default: 100)")
    var limit: Int?

    @Flag(help: "Print each event as a JSON line instead of text.")
    var json = false

    @OptionGroup var serverOptions: ServerOptions

    func validate() throws {
        let range = try timeRange()
        if let from = range.from, let until = range.until, from > until {
            throw ValidationError("--from (\(self.from!)) is later than --until (\(self.until!))")
        }
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
        let range = try timeRange()
        return try await client.query(
            topic: topic, source: source, subject: subject, from: range.from, until: range.until, after: after,
            limit: limit)
    }

    /// `--from` and `--until` as dates.
    func timeRange() throws -> (from: Date?, until: Date?) {
        func date(_ text: String?, option: String) throws -> Date? {
            guard let text else { return nil }
            guard let date = RFC3339.parse(text) else {
                throw ValidationError(
                    "\(option) must be an RFC 3339 time such as 2026-01-01T12:00:00Z or 2026-01-01T14:00:00+02:00, "
                        + "got '\(text)'")
            }
            return date
        }
        return (try date(from, option: "--from"), try date(until, option: "--until"))
    }

    /// The lines printed for a page.
    static func lines(_ page: EventPage, json: Bool) -> [String] {
        page.events.map(json ? Output.jsonLine : Output.eventLine)
    }
}
