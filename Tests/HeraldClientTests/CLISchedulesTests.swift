import ArgumentParser
import Foundation
import Herald
import HeraldClient
import Testing

@testable import HeraldCLI

@Suite("herald cron-next and herald schedules")
struct CLISchedulesTests {
    /// The message ArgumentParser prints for an error `body` throws while parsing.
    func parseError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        do {
            try body()
            Issue.record("expected a parse error", sourceLocation: sourceLocation)
            return ""
        } catch {
            return HeraldCommand.message(for: error)
        }
    }

    func cronNext(_ arguments: [String]) throws -> [String] {
        try CronNextCommand.parse(arguments).lines(now: Date(timeIntervalSince1970: 0))
    }

    // MARK: cron-next

    @Test func cronNextSkipsTheWallTimeASpringForwardRemoves() throws {
        // Europe/Berlin moves from 02:00 CET to 03:00 CEST on 2026-03-29: 02:30 does not exist that day.
        let lines = try cronNext([
            "30 2 * * *", "--tz", "Europe/Berlin", "--count", "4", "--from", "2026-03-27T00:00:00Z",
        ])
        #expect(
            lines == [
                "2026-03-27T02:30:00+01:00",
                "2026-03-28T02:30:00+01:00",
                "2026-03-30T02:30:00+02:00",
                "2026-03-31T02:30:00+02:00",
            ])
    }

    @Test func cronNextFiresARepeatedWallTimeOnceAtAFallBack() throws {
        // On 2026-10-25 Berlin goes back from 03:00 CEST to 02:00 CET: 02:30 happens twice, and with the hour named
        // it fires once.
        let lines = try cronNext([
            "*/30 2 * * *", "--tz", "Europe/Berlin", "--count", "4", "--from", "2026-10-24T12:00:00Z",
        ])
        #expect(
            lines == [
                "2026-10-25T02:00:00+02:00",
                "2026-10-25T02:30:00+02:00",
                "2026-10-26T02:00:00+01:00",
                "2026-10-26T02:30:00+01:00",
            ])
        // With '*' as the hour, the repeated 02:30 fires at both passes: the offset tells them apart.
        let everyHour = try cronNext([
            "30 * * * *", "--tz", "Europe/Berlin", "--count", "4", "--from", "2026-10-25T00:00:00Z",
        ])
        #expect(
            everyHour == [
                "2026-10-25T02:30:00+02:00",
                "2026-10-25T02:30:00+01:00",
                "2026-10-25T03:30:00+01:00",
                "2026-10-25T04:30:00+01:00",
            ])
    }

    @Test func cronNextDefaultsToFiveInstantsInUTCAfterNow() throws {
        let command = try CronNextCommand.parse(["0 0 29 2 *"])
        #expect(command.count == 5)
        #expect(
            try command.lines(now: RFC3339.parse("2026-01-01T00:00:00Z")!) == [
                "2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z", "2036-02-29T00:00:00Z", "2040-02-29T00:00:00Z",
                "2044-02-29T00:00:00Z",
            ])
        #expect(
            try cronNext(["@hourly", "--tz", "Asia/Kolkata", "--count", "2", "--from", "2026-05-01T10:10:00Z"]) == [
                "2026-05-01T16:00:00+05:30", "2026-05-01T17:00:00+05:30",
            ])
        let now = Date()
        let first = try #require(try CronNextCommand.parse(["* * * * *", "--count", "1"]).lines(now: now).first)
        #expect(RFC3339.parse(first)! > now)
        #expect(RFC3339.parse(first)!.timeIntervalSince(now) <= 60)
    }

    @Test(arguments: [
        (["0 25 * * *"], ["cron field 'hour'", "25"]),
        (["0 9 * *"], ["4 fields", "expected 5"]),
        (["@sometimes"], ["@sometimes"]),
        (["0 9 * * *", "--tz", "Mars/Olympus"], ["--tz 'Mars/Olympus'", "IANA"]),
        (["0 9 * * *", "--from", "yesterday"], ["--from 'yesterday'", "RFC 3339"]),
    ])
    func cronNextExplainsBadInput(arguments: [String], words: [String]) throws {
        let command = try CronNextCommand.parse(arguments)
        do {
            let lines = try command.lines(now: Date())
            Issue.record("expected an error, got \(lines)")
        } catch {
            for word in words { #expect(error.message.contains(word), "\(error.message)") }
        }
        #expect(throws: ExitCode.failure) { try command.run() }
    }

    @Test func cronNextRefusesACountOutOfRange() {
        #expect(parseError { _ = try CronNextCommand.parse(["* * * * *", "--count", "0"]) }.contains("--count"))
        #expect(parseError { _ = try CronNextCommand.parse(["* * * * *", "--count", "1001"]) }.contains("1 to 1000"))
    }

    // MARK: schedules create

    func body(_ arguments: [String]) throws -> [String: Any] {
        let json = try SchedulesCommand.Create.parse(arguments).body(now: Date())
        return try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
    }

    @Test func createBuildsTheBodyOfEachTrigger() throws {
        let cron = try body([
            "reports", "--cron", "0 9 * * 1-5", "--tz", "Europe/Berlin", "--type", "report.due", "--source", "/r",
            "--subject", "daily", "--data", #"{"kind":"daily"}"#, "--missed", "skip",
        ])
        #expect(cron["cron"] as? String == "0 9 * * 1-5")
        #expect(cron["timezone"] as? String == "Europe/Berlin")
        #expect(cron["missed"] as? String == "skip")
        let event = try #require(cron["event"] as? [String: Any])
        #expect(event["type"] as? String == "report.due")
        #expect(event["source"] as? String == "/r")
        #expect(event["subject"] as? String == "daily")
        #expect((event["data"] as? [String: Any])?["kind"] as? String == "daily")
        #expect(cron["every_ms"] == nil)

        for (every, milliseconds) in [
            ("250", 250), ("500ms", 500), ("30s", 30_000), ("5m", 300_000), ("2h", 7_200_000),
        ] {
            let interval = try body(["tick", "--every", every, "--type", "t", "--source", "/s"])
            #expect(interval["every_ms"] as? Int == milliseconds, "--every \(every)")
            #expect(interval["missed"] as? String == "fire_once")
            #expect(interval["anchor"] == nil, "the server's now anchors the interval")
        }
        let once = try body(["launch", "--at", "2026-12-24T18:00:00Z", "--type", "t", "--source", "/s"])
        #expect(once["at"] as? String == "2026-12-24T18:00:00Z")
    }

    @Test(arguments: [
        (["n", "--type", "t", "--source", "/s"], "give a trigger"),
        (["n", "--cron", "* * * * *", "--every", "5s", "--type", "t", "--source", "/s"], "not --cron and --every"),
        (["n", "--every", "5s", "--tz", "UTC", "--type", "t", "--source", "/s"], "--tz applies only to --cron"),
        (["n", "--cron", "0 25 * * *", "--type", "t", "--source", "/s"], "--cron: cron field 'hour'"),
        (["n", "--cron", "0 9 * * *", "--tz", "Nowhere", "--type", "t", "--source", "/s"], "--tz: timezone"),
        (["n", "--every", "5 parsecs", "--type", "t", "--source", "/s"], "--every '5 parsecs' is not an interval"),
        (["n", "--every", "0s", "--type", "t", "--source", "/s"], "is not an interval"),
        (["n", "--every", "5ms", "--type", "t", "--source", "/s"], "--every: every_ms must be"),
        (["n", "--every", "400d", "--type", "t", "--source", "/s"], "--every: every_ms must be"),
        (["n", "--at", "soon", "--type", "t", "--source", "/s"], "--at: at must be an RFC 3339 time"),
        (["n", "--every", "5s", "--type", "", "--source", "/s"], "--type: event.type"),
        (["n", "--every", "5s", "--type", "t", "--source", "/s", "--data", "{bad"], "--data is not valid JSON"),
        (["n", "--every", "5s", "--type", "t", "--source", "/s", "--missed", "often"], "--missed: missed must be"),
        (["bad name", "--every", "5s", "--type", "t", "--source", "/s"], "NAME: the schedule name 'bad name'"),
    ])
    func createRefusesBadOptionsNamingTheOption(arguments: [String], expected: String) {
        let message = parseError { _ = try SchedulesCommand.Create.parse(arguments) }
        #expect(message.contains(expected), "\(message)")
    }

    // MARK: output

    @Test func listPrintsNameTriggerNextFiringAndPaused() throws {
        let statuses = [
            ScheduleStatus(
                schedule: Schedule(
                    name: "reports",
                    trigger: .cron(try CronExpression("0 9 * * 1-5"), timeZone: TimeZone(identifier: "Europe/Berlin")!),
                    event: EventTemplate(type: "report.due", source: "/r")),
                revision: 1, lastFiredAt: nil, nextFireAt: RFC3339.parse("2026-01-01T08:00:00Z"), upcoming: []),
            ScheduleStatus(
                schedule: Schedule(
                    name: "tick", trigger: .interval(.seconds(300), anchor: Date()),
                    event: EventTemplate(type: "t", source: "/s"), isPaused: true),
                revision: 3, lastFiredAt: nil, nextFireAt: RFC3339.parse("2026-01-01T00:05:00Z"), upcoming: []),
            ScheduleStatus(
                schedule: Schedule(
                    name: "launch", trigger: .once(RFC3339.parse("2025-12-24T18:00:00Z")!),
                    event: EventTemplate(type: "t", source: "/s")),
                revision: 2, lastFiredAt: RFC3339.parse("2025-12-24T18:00:00Z"), nextFireAt: nil, upcoming: []),
        ]
        #expect(
            Output.schedulesTable(statuses) == [
                "NAME     TRIGGER                           NEXT_FIRE             PAUSED",
                "reports  cron 0 9 * * 1-5 (Europe/Berlin)  2026-01-01T08:00:00Z  no",
                "tick     every 5m                          2026-01-01T00:05:00Z  yes",
                "launch   at 2025-12-24T18:00:00Z           -                     no",
            ])
        #expect(Output.triggerText(.interval(.milliseconds(1_500), anchor: Date())) == "every 1500ms")
        #expect(Output.triggerText(.interval(.seconds(86_400), anchor: Date())) == "every 1d")
    }

    // MARK: against a live server

    @Test func createListPauseResumeDeleteAgainstAServer() async throws {
        let server = LiveServer()
        try await server.run { client, port in
            let address = ["--server", "http://127.0.0.1:\(port)"]
            try await SchedulesCommand.Create.parse(
                ["tick", "--every", "1h", "--type", "clock.tick", "--source", "/clock"] + address
            ).run()
            let created = try await client.schedule(named: "tick")
            #expect(created.schedule.event == EventTemplate(type: "clock.tick", source: "/clock"))
            guard case .interval(let every, _) = created.schedule.trigger else {
                Issue.record("expected an interval, got \(created.schedule.trigger)")
                return
            }
            #expect(every == .seconds(3_600))
            try await SchedulesCommand.List.parse(address).run()
            try await SchedulesCommand.Pause.parse(["tick"] + address).run()
            #expect(try await client.schedule(named: "tick").schedule.isPaused)
            try await SchedulesCommand.Resume.parse(["tick"] + address).run()
            #expect(try await !client.schedule(named: "tick").schedule.isPaused)
            try await SchedulesCommand.Delete.parse(["tick"] + address).run()
            #expect(try await client.schedules().isEmpty)
            await #expect(throws: ExitCode.failure) {
                try await SchedulesCommand.Delete.parse(["tick"] + address).run()
            }
        }
    }

    @Test func commandsAreRegisteredUnderHerald() throws {
        #expect(try HeraldCommand.parseAsRoot(["schedules", "list"]) is SchedulesCommand.List)
        #expect(try HeraldCommand.parseAsRoot(["schedules", "pause", "n"]) is SchedulesCommand.Pause)
        #expect(try HeraldCommand.parseAsRoot(["schedules", "resume", "n"]) is SchedulesCommand.Resume)
        #expect(try HeraldCommand.parseAsRoot(["schedules", "delete", "n"]) is SchedulesCommand.Delete)
        let create = try HeraldCommand.parseAsRoot([
            "schedules", "create", "n", "--at", "2030-01-01T00:00:00Z", "--type", "t", "--source", "/s",
        ])
        #expect((create as? SchedulesCommand.Create)?.at == "2030-01-01T00:00:00Z")
        #expect(
            (try HeraldCommand.parseAsRoot(["cron-next", "@daily", "--count", "2"]) as? CronNextCommand)?.count == 2)
    }
}
