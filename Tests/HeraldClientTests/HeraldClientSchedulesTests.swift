import Foundation
import Herald
import HeraldClient
import Testing

@Suite("HeraldClient schedules")
struct HeraldClientSchedulesTests {
    static let report = Schedule(
        name: "reports",
        trigger: .cron(try! CronExpression("0 9 * * 1-5"), timeZone: TimeZone(identifier: "Europe/Berlin")!),
        event: EventTemplate(type: "report.due", source: "/reports", data: ["kind": "daily"]),
        missedFires: .skip
    )

    @Test func putListShowPauseResumeAndDeleteASchedule() async throws {
        try await LiveServer().run { client, _ in
            let (created, isNew) = try await client.putSchedule(Self.report)
            #expect(isNew)
            #expect(created.schedule == Self.report)
            #expect(created.lastFiredAt == nil)
            #expect(created.upcoming.count == 5)
            #expect(created.upcoming.first == created.nextFireAt)
            let nextFire = try #require(created.nextFireAt)
            #expect(nextFire > Date())
            #expect(Self.report.trigger.nextFire(after: Date()) == nextFire)

            let (replaced, isNewAgain) = try await client.putSchedule(Self.report)
            #expect(!isNewAgain)
            #expect(replaced.revision > created.revision)

            let interval = try await client.putSchedule(
                name: "tick", json: Data(#"{"every_ms":60000,"event":{"type":"clock.tick","source":"/clock"}}"#.utf8))
            #expect(interval.created)
            guard case .interval(let every, _) = interval.status.schedule.trigger else {
                Issue.record("expected an interval, got \(interval.status.schedule.trigger)")
                return
            }
            #expect(every == .seconds(60))

            #expect(try await client.schedules().map(\.name) == ["reports", "tick"])
            #expect(try await client.schedule(named: "reports").schedule == Self.report)
            #expect(try await client.pauseSchedule(named: "reports").schedule.isPaused)
            #expect(try await client.schedule(named: "reports").schedule.isPaused)
            #expect(try await !client.resumeSchedule(named: "reports").schedule.isPaused)
            try await client.deleteSchedule(named: "reports")
            #expect(try await client.schedules().map(\.name) == ["tick"])
        }
    }

    @Test func anUnknownScheduleIsA404Problem() async throws {
        try await LiveServer().run { client, _ in
            for call in [
                { _ = try await client.schedule(named: "nothing") },
                { try await client.deleteSchedule(named: "nothing") },
                { _ = try await client.pauseSchedule(named: "nothing") },
                { _ = try await client.resumeSchedule(named: "nothing") },
            ] as [() async throws -> Void] {
                let error = await clientError(call)
                guard case .problem(let problem) = error else {
                    Issue.record("expected a problem, got \(String(describing: error))")
                    continue
                }
                #expect(problem.status == 404)
                #expect(problem.type == "urn:herald:problem:schedule-not-found")
            }
        }
    }

    @Test func anInvalidScheduleIsA400ProblemNamingTheField() async throws {
        try await LiveServer().run { client, _ in
            let error = await clientError {
                try await client.putSchedule(
                    name: "bad", json: Data(#"{"cron":"0 9 * * 8","event":{"type":"t","source":"/s"}}"#.utf8))
            }
            guard case .problem(let problem) = error else {
                Issue.record("expected a problem, got \(String(describing: error))")
                return
            }
            #expect(problem.status == 400)
            #expect(problem.field == "cron.day-of-week")
            #expect(problem.detail.contains("day-of-week"))
        }
    }
}
