import Foundation
import Herald
import Testing

/// The behaviours every ``ScheduleStore`` backend must show, as test cases a backend's test target runs
/// against its own store in a few lines.
///
/// ```swift
/// @Test(arguments: ScheduleStoreConformance.cases(supporting: fixture.capabilities))
/// func conformance(_ testCase: ScheduleStoreConformanceCase) async throws {
///     try await testCase.run(MyScheduleStoreFixture())
/// }
/// ```
public enum ScheduleStoreConformance {
    /// Every case, in a stable order.
    public static let cases: [ScheduleStoreConformanceCase] = [
        savingCreatesThenReplaces, everyKindOfScheduleRoundTrips, listsByNameAndDeletes, pausingAndResuming,
        recordingAFiring, schedulesSurviveAReopen, invalidSchedulesAreRefused,
    ]

    /// The cases a fixture with `capabilities` can run; pass these to `@Test(arguments:)`.
    public static func cases(supporting capabilities: Capabilities) -> [ScheduleStoreConformanceCase] {
        cases.filter { capabilities.isSuperset(of: $0.requirements) }
    }

    static let epoch = Date(timeIntervalSince1970: 1_767_225_600)

    static func template(_ type: String = "report.due") -> EventTemplate {
        EventTemplate(type: type, source: "/conformance/schedules")
    }

    static let savingCreatesThenReplaces = ScheduleStoreConformanceCase(
        name: "saving creates a schedule, saving again replaces it with a new revision and keeps when it last fired",
        requirements: .controllableClock
    ) { store, clock in
        let first = Schedule(name: "hourly", trigger: .interval(.seconds(3_600), anchor: epoch), event: template())
        let (created, isNew) = try await store.saveSchedule(first)
        #expect(isNew)
        #expect(created.nextFireAt == epoch.addingTimeInterval(3_600))
        #expect(
            try await store.recordScheduleFiring(
                named: "hourly", revision: created.revision, firedAt: epoch.addingTimeInterval(3_600),
                nextFireAt: epoch.addingTimeInterval(7_200)))
        clock.advance(by: .seconds(4_000))
        var second = first
        second.event = template("report.changed")
        let (replaced, isNewAgain) = try await store.saveSchedule(second)
        #expect(!isNewAgain)
        #expect(replaced.revision > created.revision)
        #expect(replaced.schedule == second)
        #expect(replaced.lastFiredAt == epoch.addingTimeInterval(3_600))
        #expect(replaced.nextFireAt == epoch.addingTimeInterval(7_200), "next instant after the store's now")
    }

    static let everyKindOfScheduleRoundTrips = ScheduleStoreConformanceCase(
        name: "every trigger, template and policy is stored and read back exactly"
    ) { store, _ in
        let schedules = [
            Schedule(
                name: "cron-berlin",
                trigger: .cron(
                    try CronExpression("*/5 9-17 * * MON-FRI"), timeZone: TimeZone(identifier: "Europe/Berlin")!),
                event: EventTemplate(
                    type: "report.due", source: "/reports", subject: "weekly",
                    data: ["kind": "hourly", "n": 3, "ok": true, "list": [1.5, "x", .null]]
                ),
                missedFires: .skip
            ),
            Schedule(
                name: "every-250ms",
                trigger: .interval(.milliseconds(250), anchor: epoch.addingTimeInterval(0.5)),
                event: template(),
                isPaused: true
            ),
            Schedule(name: "once", trigger: .once(epoch.addingTimeInterval(86_400)), event: template()),
        ]
        for schedule in schedules { _ = try await store.saveSchedule(schedule) }
        for schedule in schedules {
            let stored = try #require(try await store.schedule(named: schedule.name))
            #expect(stored.schedule == schedule)
        }
    }

    static let listsByNameAndDeletes = ScheduleStoreConformanceCase(
        name: "schedules are listed by name, unknown names read as nil, and delete says whether one existed"
    ) { store, _ in
        for name in ["b", "a", "c"] {
            _ = try await store.saveSchedule(Schedule(name: name, trigger: .once(epoch), event: template()))
        }
        #expect(try await store.schedules().map(\.schedule.name) == ["a", "b", "c"])
        #expect(try await store.schedule(named: "missing") == nil)
        #expect(try await store.deleteSchedule(named: "b"))
        #expect(try await !store.deleteSchedule(named: "b"))
        #expect(try await store.schedules().map(\.schedule.name) == ["a", "c"])
    }

    static let pausingAndResuming = ScheduleStoreConformanceCase(
        name: "pausing bumps the revision; resuming skips what passed meanwhile",
        requirements: .controllableClock
    ) { store, clock in
        let (saved, _) = try await store.saveSchedule(
            Schedule(name: "minutely", trigger: .interval(.seconds(60), anchor: epoch), event: template())
        )
        let paused = try #require(try await store.setSchedulePaused(named: "minutely", true))
        #expect(paused.schedule.isPaused)
        #expect(paused.revision > saved.revision)
        clock.advance(by: .seconds(600))
        let resumed = try #require(try await store.setSchedulePaused(named: "minutely", false))
        #expect(!resumed.schedule.isPaused)
        #expect(resumed.revision > paused.revision)
        #expect(resumed.nextFireAt == epoch.addingTimeInterval(660))
        #expect(try await store.setSchedulePaused(named: "missing", true) == nil)
    }

    static let recordingAFiring = ScheduleStoreConformanceCase(
        name: "a firing is recorded against the current revision only"
    ) { store, _ in
        let (saved, _) = try await store.saveSchedule(
            Schedule(name: "s", trigger: .interval(.seconds(60), anchor: epoch), event: template())
        )
        let fired = epoch.addingTimeInterval(60)
        #expect(
            try await store.recordScheduleFiring(
                named: "s", revision: saved.revision, firedAt: fired, nextFireAt: fired.addingTimeInterval(60)))
        var stored = try #require(try await store.schedule(named: "s"))
        #expect(stored.lastFiredAt == fired)
        #expect(stored.nextFireAt == fired.addingTimeInterval(60))
        #expect(stored.revision == saved.revision, "recording a firing does not change the revision")
        // A skip records no instant and keeps the last one.
        #expect(
            try await store.recordScheduleFiring(
                named: "s", revision: saved.revision, firedAt: nil, nextFireAt: fired.addingTimeInterval(600)))
        stored = try #require(try await store.schedule(named: "s"))
        #expect(stored.lastFiredAt == fired)
        _ = try await store.setSchedulePaused(named: "s", true)
        #expect(
            try await !store.recordScheduleFiring(
                named: "s", revision: saved.revision, firedAt: nil, nextFireAt: nil), "a stale revision changes nothing"
        )
        #expect(try await store.schedule(named: "s")?.nextFireAt == fired.addingTimeInterval(600))
        #expect(try await !store.recordScheduleFiring(named: "missing", revision: 1, firedAt: nil, nextFireAt: nil))
    }

    static let schedulesSurviveAReopen = ScheduleStoreConformanceCase.checkingAfterReopen(
        name: "schedules and their firing state survive a restart",
        requirements: .durableRestart
    ) { store, _ in
        let (saved, _) = try await store.saveSchedule(
            Schedule(name: "durable", trigger: .cron(try CronExpression("@daily"), timeZone: .gmt), event: template())
        )
        _ = try await store.recordScheduleFiring(
            named: "durable", revision: saved.revision, firedAt: epoch, nextFireAt: epoch.addingTimeInterval(86_400))
        return { reopened in
            let stored = try #require(try await reopened.schedule(named: "durable"))
            #expect(stored.schedule == saved.schedule)
            #expect(stored.revision == saved.revision)
            #expect(stored.lastFiredAt == epoch)
            #expect(stored.nextFireAt == epoch.addingTimeInterval(86_400))
        }
    }

    static let invalidSchedulesAreRefused = ScheduleStoreConformanceCase(
        name: "an invalid schedule is refused with the field at fault, and nothing is stored"
    ) { store, _ throws in
        let error = await #expect(throws: ScheduleDefinitionError.self) {
            try await store.saveSchedule(Schedule(name: "bad name!", trigger: .once(epoch), event: template()))
        }
        #expect(error?.field == "name")
        #expect(try await store.schedules().isEmpty)
    }
}

/// Makes the schedule stores the schedule conformance suite tests: one fixture per case run.
public protocol ScheduleStoreFixture: Sendable {
    /// What the backend supports; cases needing more are skipped.
    var capabilities: Capabilities { get }

    /// Makes a new, empty store that reads time from `clock`.
    func makeStore(clock: any WallClock) async throws -> any ScheduleStore

    /// Closes `store` and opens the same storage again; only called with ``Capabilities/durableRestart``.
    func reopen(_ store: any ScheduleStore, clock: any WallClock) async throws -> any ScheduleStore

    /// Closes `store` and removes its storage.
    func tearDown(_ store: any ScheduleStore) async throws
}

extension ScheduleStoreFixture {
    /// Throws: a fixture without ``Capabilities/durableRestart`` cannot reopen a store.
    public func reopen(_ store: any ScheduleStore, clock: any WallClock) async throws -> any ScheduleStore {
        throw ConformanceFailure("\(Self.self) cannot reopen a store; add .durableRestart and implement reopen")
    }

    /// Does nothing.
    public func tearDown(_ store: any ScheduleStore) async throws {}
}

/// One behaviour of the schedule suite, runnable against any ``ScheduleStoreFixture``.
public typealias ScheduleStoreConformanceCase = ReopeningConformanceCase<any ScheduleStore>

extension ReopeningConformanceCase where Store == any ScheduleStore {
    /// Runs the case against `fixture`; returns at once when the fixture lacks a requirement.
    public func run(_ fixture: any ScheduleStoreFixture) async throws {
        try await run(
            capabilities: fixture.capabilities, epoch: ScheduleStoreConformance.epoch,
            makeStore: fixture.makeStore(clock:),
            reopen: fixture.reopen(_:clock:), tearDown: fixture.tearDown(_:))
    }
}
