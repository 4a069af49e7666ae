import ArgumentParser
import Foundation
import Herald

/// `herald cron-next "EXPR"`: prints the next instants a cron expression selects, offline.
struct CronNextCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cron-next",
        abstract: "Print the next instants a cron expression selects, one RFC 3339 time per line.",
        discussion: """
            Needs no server. Each time is written with the offset of --tz at that instant (Z for UTC), so a \
            daylight-saving change shows. A bad expression, zone or --from prints why on stderr and exits with 1.
            """
    )

    /// The most instants printed.
    static let maximumCount = 1_000

    @Argument(help: "A cron expression: five fields such as \"*/5 * * * *\", or a macro such as @daily.")
    var expression: String

    @Option(help: "The time zone the expression is evaluated in, an IANA name such as Europe/Berlin.")
    var tz = "UTC"

    @Option(help: "How many instants to print, 1 to \(CronNextCommand.maximumCount).")
    var count = 5

    @Option(help: "Print the instants after this RFC 3339 time. (default: now)")
    var from: String?

    func validate() throws {
        guard (1...Self.maximumCount).contains(count) else {
            throw ValidationError("--count must be from 1 to \(Self.maximumCount), got \(count)")
        }
    }

    func run() throws {
        do {
            for line in try lines(now: Date()) { Output.line(line) }
        } catch {
            Output.error("error: \(error.message)")
            throw ExitCode.failure
        }
    }

    /// The lines printed: the next ``count`` instants after `--from` (or `now`); fewer when the expression
    /// selects fewer within ``CronExpression/searchYears`` years of each.
    func lines(now: Date) throws(CronNextError) -> [String] {
        let cron: CronExpression
        do {
            cron = try CronExpression(expression)
        } catch {
            throw CronNextError(message: error.message)
        }
        guard let zone = TimeZone(identifier: tz) else {
            throw CronNextError(
                message: "--tz '\(tz.prefix(100))' is not a known time zone; use an IANA name such as "
                    + "Europe/Berlin or UTC")
        }
        var cursor = now
        if let from {
            guard let date = RFC3339.parse(from) else {
                throw CronNextError(
                    message: "--from '\(from.prefix(100))' is not an RFC 3339 time; write one such as "
                        + "2026-03-29T00:00:00Z")
            }
            cursor = date
        }
        var lines: [String] = []
        while lines.count < count, let next = cron.next(after: cursor, in: zone) {
            lines.append(Self.format(next, in: zone))
            cursor = next
        }
        return lines
    }

    /// `date` in RFC 3339 with `zone`'s offset at that instant: `2026-03-29T03:00:00+02:00`, or `...Z` at
    /// offset zero.
    static func format(_ date: Date, in zone: TimeZone) -> String {
        let offset = zone.secondsFromGMT(for: date)
        let shifted = RFC3339.format(date.addingTimeInterval(TimeInterval(offset)))
        guard offset != 0 else { return shifted }
        let sign = offset < 0 ? "-" : "+"
        let minutes = abs(offset) / 60
        let suffix = sign + String(format: "%02d:%02d", minutes / 60, minutes % 60)
        return String(shifted.dropLast()) + suffix
    }
}

/// Why `herald cron-next` printed nothing: what was wrong with its input.
struct CronNextError: Error {
    /// What was wrong and how to fix it.
    var message: String
}
