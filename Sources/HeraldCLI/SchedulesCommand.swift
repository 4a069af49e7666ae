import ArgumentParser
import Foundation
import Herald
import HeraldClient

/// `herald schedules`: lists, creates, deletes, pauses and resumes schedules on a running server.
struct SchedulesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedules",
        abstract: "List, create, delete, pause and resume schedules on a running Herald server.",
        subcommands: [List.self, Create.self, Delete.self, Pause.self, Resume.self]
    )

    /// `herald schedules list`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the schedules with their trigger, next firing and whether they are paused.")

        @OptionGroup var serverOptions: ServerOptions

        func run() async throws {
            let schedules = try await serverOptions.withClient { client in try await client.schedules() }
            for line in Output.schedulesTable(schedules) { Output.line(line) }
        }
    }

    /// `herald schedules create NAME (--cron EXPR [--tz ZONE] | --every DURATION | --at TIME) --type T --source S`.
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a schedule, or replace the one with this name.",
            discussion: """
                Give exactly one trigger: --cron (five fields or a macro such as @daily, evaluated in --tz, \
                UTC by default), --every (an interval counted from now: 500ms, 30s, 5m, 1h, 1d, or a number of \
                milliseconds) or --at (one RFC 3339 time).
                """
        )

        @Argument(help: "The schedule's name: 1 to 200 letters, digits, '.', '_' and '-'.")
        var name: String

        @Option(help: "A cron expression, such as \"*/5 * * * *\" or @daily.")
        var cron: String?

        @Option(help: "The time zone of --cron, an IANA name such as Europe/Berlin. (default: UTC)")
        var tz: String?

        @Option(help: "An interval: 500ms, 30s, 5m, 1h, 1d, or a number of milliseconds.")
        var every: String?

        @Option(help: "One time to fire at, in RFC 3339, such as 2026-12-24T18:00:00Z.")
        var at: String?

        @Option(help: "The type of each event it publishes, such as report.due.")
        var type: String

        @Option(help: "The source of each event, a URI-reference such as /reports.")
        var source: String

        @Option(help: "The subject of each event.")
        var subject: String?

        @Option(help: "The data of each event, as JSON text: '{\"kind\":\"daily\"}'.")
        var data: String?

        @Option(help: "After downtime: fire_once (once for the missed instants) or skip.")
        var missed = "fire_once"

        @OptionGroup var serverOptions: ServerOptions

        func validate() throws {
            _ = try body(now: Date())
        }

        func run() async throws {
            let json = try body(now: Date())
            let (status, created) = try await serverOptions.withClient { client in
                try await client.putSchedule(name: name, json: json)
            }
            Output.line(
                "\(created ? "created" : "replaced") schedule \(name); next firing "
                    + (status.nextFireAt.map(RFC3339.format) ?? "none"))
        }

        /// The JSON body of the `PUT`, checked as the server would; an interval counts from the server's now.
        func body(now: Date) throws -> Data {
            var object: [String: JSONValue] = ["missed": .string(missed)]
            let triggers = [("--cron", cron), ("--every", every), ("--at", at)].filter { $0.1 != nil }
            guard triggers.count == 1 else {
                throw ValidationError(
                    triggers.isEmpty
                        ? "give a trigger: --cron EXPR, --every DURATION or --at TIME"
                        : "give one trigger, not \(triggers.map(\.0).joined(separator: " and "))")
            }
            if tz != nil, cron == nil { throw ValidationError("--tz applies only to --cron") }
            if let cron { object["cron"] = .string(cron) }
            if let tz { object["timezone"] = .string(tz) }
            if let every { object["every_ms"] = .integer(try Self.milliseconds(every)) }
            if let at { object["at"] = .string(at) }
            var event: [String: JSONValue] = ["type": .string(type), "source": .string(source)]
            if let subject { event["subject"] = .string(subject) }
            if let data {
                do {
                    event["data"] = try JSONDecoder().decode(JSONValue.self, from: Data(data.utf8))
                } catch {
                    throw ValidationError("--data is not valid JSON; quote text as JSON: '\"hello\"'")
                }
            }
            object["event"] = .object(event)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let json = try encoder.encode(JSONValue.object(object))
            do {
                _ = try Schedule.decode(json: json, name: name, now: now)
            } catch {
                throw ValidationError(Self.optionMessage(error))
            }
            return json
        }

        /// A definition error, with the option that gives the field named.
        static func optionMessage(_ error: ScheduleDefinitionError) -> String {
            let options = [
                "cron": "--cron", "timezone": "--tz", "every_ms": "--every", "at": "--at", "event.type": "--type",
                "event.source": "--source", "event.subject": "--subject", "event.data": "--data", "missed": "--missed",
                "name": "NAME",
            ]
            let field = error.field.map { $0.hasPrefix("cron.") ? "cron" : $0 }
            guard let option = field.flatMap({ options[$0] }) else { return error.message }
            return "\(option): \(error.message)"
        }

        /// `text` as milliseconds: a number of milliseconds, or a number with `ms`, `s`, `m`, `h` or `d`.
        static func milliseconds(_ text: String) throws -> Int64 {
            let units: [(String, Int64)] = [
                ("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000),
            ]
            let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
            let (digits, factor) =
                units.first { trimmed.hasSuffix($0.0) && Int64(trimmed.dropLast($0.0.count)) != nil }
                .map { (String(trimmed.dropLast($0.0.count)), $0.1) } ?? (trimmed, 1)
            guard let count = Int64(digits), count > 0 else {
                throw ValidationError(
                    "--every '\(text)' is not an interval; write a whole number with a unit, such as 500ms, 30s, "
                        + "5m, 1h or 1d, or a number of milliseconds")
            }
            let (product, overflow) = count.multipliedReportingOverflow(by: factor)
            guard !overflow else { throw ValidationError("--every '\(text)' is too long; the longest is 366d") }
            return product
        }
    }

    /// `herald schedules delete NAME`.
    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a schedule.")

        @Argument(help: "The schedule's name.")
        var name: String

        @OptionGroup var serverOptions: ServerOptions

        func run() async throws {
            try await serverOptions.withClient { client in try await client.deleteSchedule(named: name) }
            Output.line("deleted schedule \(name)")
        }
    }

    /// `herald schedules pause NAME`.
    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Pause a schedule: it does not fire until resumed.")

        @Argument(help: "The schedule's name.")
        var name: String

        @OptionGroup var serverOptions: ServerOptions

        func run() async throws {
            try await serverOptions.withClient { client in try await client.pauseSchedule(named: name) }
            Output.line("paused schedule \(name)")
        }
    }

    /// `herald schedules resume NAME`.
    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Resume a paused schedule; the instants that passed while it was paused are skipped.")

        @Argument(help: "The schedule's name.")
        var name: String

        @OptionGroup var serverOptions: ServerOptions

        func run() async throws {
            let status = try await serverOptions.withClient { client in try await client.resumeSchedule(named: name) }
            Output.line("resumed schedule \(name); next firing " + (status.nextFireAt.map(RFC3339.format) ?? "none"))
        }
    }
}
