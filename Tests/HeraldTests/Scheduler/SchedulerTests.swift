import Foundation
import Herald
import HeraldTesting
import MetricsTestKit
import Testing

/// The scheduler on a test clock: months of schedule run in milliseconds.
@Suite struct SchedulerTests {
    static let epoch = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01T00:00:00Z

    /// A store, a test clock it reads, and a scheduler over both.
    struct Harness {
        let clock = TestClock()
        let wallClock: TestWallClock
        let store: InMemoryEventStore
        let scheduler: Scheduler

        init(epoch: Date = SchedulerTests.epoch, owner: String = "node-a", metrics: TestMetrics = TestMetrics()) {
            wallClock = clock.wallClock(epoch: epoch)
            store = InMemoryEventStore(clock: wallClock)
            scheduler = Scheduler(
                store: store,
                clock: wallClock,
                configuration: .init(owner: owner, leaseDuration: .seconds(15), refreshInterval: .seconds(4)),
                metricsFactory: metrics
            )
        }

        /// Moves the clock by `step` until `total` has passed, firing what is due after each step, as a running
        /// scheduler would.
        func run(for total: Duration, step: Duration) async throws {
            var elapsed = Duration.zero
            while elapsed < total {
                clock.advance(by: step)
                elapsed += step
                try await scheduler.fireDueSchedules()
            }
        }

        func fired(_ name: String? = nil) async throws -> [Event] {
            try await store.read(after: 0, filter: .all, limit: 10_000).events.map(\.event)
                .filter { name == nil || $0.extensions["heraldschedule"] == .string(name!) }
        }
    }

    func template(_ type: String = "tick") -> EventTemplate {
        EventTemplate(type: type, source: "/scheduler-tests", data: ["n": 1])
    }

    @Test func anIntervalNeverDriftsHoweverLateItFires() async throws {
        let harness = Harness()
        _ = try await harness.store.saveSchedule(
            Schedule(name: "minutely", trigger: .interval(.seconds(60), anchor: Self.epoch), event: template())
        )
        // Steps of 61 s: every firing is up to a minute late, which must not move the next instants.
        for _ in 0..<100 {
            harness.clock.advance(by: .seconds(61))
            try await harness.scheduler.fireDueSchedules()
        }
        // Each pass fires the latest instant due, on the minute grid of the anchor: at 61 s the 60 s instant, at
        // 122 s the 120 s one, ..., at 3,660 s the 3,660 s one (the 3,600 s instant, missed, fires once as it).
        let times = try await harness.fired().compactMap(\.time)
        let expected = (1...100).map { step in Self.epoch.addingTimeInterval(Double(61 * step / 60 * 60)) }
        #expect(times == expected)
    }

    @Test func anIntervalFiresEveryInstantWhenOnTime() async throws {
        let harness = Harness()
        _ = try await harness.store.saveSchedule(
            Schedule(name: "fast", trigger: .interval(.milliseconds(250), anchor: Self.epoch), event: template())
        )
        try await harness.run(for: .seconds(30), step: .milliseconds(250))
        let times = try await harness.fired().compactMap(\.time)
        #expect(times.count == 120)
        #expect(times.last == Self.epoch.addingTimeInterval(30))
    }

    @Test func eachFiringHasTheScheduledTimeAndADeterministicID() async throws {
        let harness = Harness()
        _ = try await harness.store.saveSchedule(
            Schedule(name: "report", trigger: .cron(try CronExpression("0 * * * *"), timeZone: .gmt), event: template())
        )
        try await harness.run(for: .seconds(3 * 3_600), step: .seconds(60))
        let events = try await harness.fired()
        #expect(
            events.map(\.id) == [
                "report@2026-01-01T01:00:00Z", "report@2026-01-01T02:00:00Z", "report@2026-01-01T03:00:00Z",
            ])
        #expect(events.map(\.time) == [1, 2, 3].map { Self.epoch.addingTimeInterval(Double($0) * 3_600) })
        #expect(events.allSatisfy { $0.type == "tick" && $0.dataContentType == "application/json" })
        // The same firing again, as a node that lost its lease or a retry after a crash would make it, is
        // stored once.
        let again = EventTemplate(type: "tick", source: "/scheduler-tests", data: ["n": 1])
            .event(schedule: "report", instant: Self.epoch.addingTimeInterval(3_600))
        #expect(try await harness.store.append(again).outcome == .duplicate(sequence: 1))
    }

    @Test func cronFollowsBerlinTimeAcrossBothDaylightSavingChanges() async throws {
        // 2026: clocks go forward on 29 March (02:00 → 03:00) and back on 25 October (03:00 → 02:00).
        let start = RFC3339.parse("2026-03-27T00:00:00Z")!
        let harness = Harness(epoch: start)
        let berlin = TimeZone(identifier: "Europe/Berlin")!
        _ = try await harness.store.saveSchedule(
            Schedule(
                name: "night", trigger: .cron(try CronExpression("30 2 * * *"), timeZone: berlin), event: template())
        )
        try await harness.run(for: .seconds(5 * 86_400), step: .seconds(600))
        let spring = try await harness.fired().compactMap(\.time).map(RFC3339.format)
        // 02:30 does not exist on 29 March: that day is skipped.
        #expect(
            spring == ["2026-03-27T01:30:00Z", "2026-03-28T01:30:00Z", "2026-03-30T00:30:00Z", "2026-03-31T00:30:00Z"])

        let autumn = Harness(epoch: RFC3339.parse("2026-10-24T00:00:00Z")!)
        _ = try await autumn.store.saveSchedule(
            Schedule(
                name: "night", trigger: .cron(try CronExpression("30 2 * * *"), timeZone: berlin), event: template())
        )
        try await autumn.run(for: .seconds(3 * 86_400), step: .seconds(600))
        // 02:30 happens twice on 25 October: it fires once, at the first.
        #expect(
            try await autumn.fired().compactMap(\.time).map(RFC3339.format) == [
                "2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z",
            ]
        )
    }

    @Test func februaryTheTwentyNinthFiresOnlyInLeapYears() async throws {
        let harness = Harness()
        let (stored, _) = try await harness.store.saveSchedule(
            Schedule(name: "leap", trigger: .cron(try CronExpression("0 12 29 2 *"), timeZone: .gmt), event: template())
        )
        #expect(stored.upcoming(2).map(RFC3339.format) == ["2028-02-29T12:00:00Z", "2032-02-29T12:00:00Z"])
        harness.clock.advance(by: .seconds(Int64(RFC3339.parse("2028-02-29T12:00:01Z")!.timeIntervalSince(Self.epoch))))
        try await harness.scheduler.fireDueSchedules()
        #expect(try await harness.fired().compactMap(\.time).map(RFC3339.format) == ["2028-02-29T12:00:00Z"])
    }

    @Test(arguments: [MissedFirePolicy.fireOnce, .skip])
    func aRestartAfterDowntimeAppliesTheMissedFirePolicy(_ policy: MissedFirePolicy) async throws {
        let harness = Harness()
        _ = try await harness.store.saveSchedule(
            Schedule(
                name: "minutely",
                trigger: .interval(.seconds(60), anchor: Self.epoch),
                event: template(),
                missedFires: policy
            )
        )
        try await harness.run(for: .seconds(120), step: .seconds(60))
        #expect(try await harness.fired().count == 2)
        // Ten minutes and a half of downtime, then a new scheduler on the same store, as after a restart.
        harness.clock.advance(by: .seconds(630))
        let restarted = Scheduler(store: harness.store, clock: harness.wallClock, configuration: .init(owner: "after"))
        try await restarted.fireDueSchedules()
        let afterRestart = try await harness.fired().compactMap(\.time)
        switch policy {
        case .fireOnce:
            #expect(afterRestart.count == 3, "one firing for all the missed instants")
            #expect(afterRestart.last == Self.epoch.addingTimeInterval(720), "for the latest of them")
        case .skip:
            #expect(afterRestart.count == 2, "none of the missed instants")
        }
        // Either way it goes on with the next instant, on the grid.
        harness.clock.advance(by: .seconds(30))
        try await restarted.fireDueSchedules()
        #expect(try await harness.fired().compactMap(\.time).last == Self.epoch.addingTimeInterval(780))
    }

    /// `herald_schedule_firings_total` tells firings from repeats (a node that appended an instant and died
    /// before recording it) and from skipped downtime.
    @Test func firingsAreCountedByOutcome() async throws {
        let metrics = TestMetrics()
        let harness = Harness(metrics: metrics)
        let schedule = Schedule(
            name: "minutely", trigger: .interval(.seconds(60), anchor: Self.epoch), event: template(),
            missedFires: .skip)
        _ = try await harness.store.saveSchedule(schedule)
        func count(_ outcome: String) throws -> Int64 {
            try metrics.expectCounter(
                "herald_schedule_firings_total", [("schedule", "minutely"), ("outcome", outcome)]
            ).totalValue
        }
        _ = try await harness.store.append(template().event(schedule: "minutely", instant: Self.epoch + 60))
        try await harness.run(for: .seconds(60), step: .seconds(60))
        #expect(try count("duplicate") == 1)
        try await harness.run(for: .seconds(60), step: .seconds(60))
        #expect(try count("fired") == 1)
        // Downtime: the latest missed instant is 30 s behind, past the on-time tolerance.
        harness.clock.advance(by: .seconds(630))
        try await harness.scheduler.fireDueSchedules()
        #expect(try count("skipped") == 1)
        #expect(try count("fired") == 1)
        #expect(try await harness.fired().count == 2)
    }

    @Test func aPausedScheduleDoesNotFireAndResumingSkipsThePause() async throws {
        let harness = Harness()
        _ = try await harness.store.saveSchedule(
            Schedule(name: "minutely", trigger: .interval(.seconds(60), anchor: Self.epoch), event: template())
        )
        try await harness.run(for: .seconds(60), step: .seconds(60))
        _ = try await harness.store.setSchedulePaused(named: "minutely", true)
        try await harness.run(for: .seconds(600), step: .seconds(60))
        #expect(try await harness.fired().count == 1)
        let resumed = try await harness.store.setSchedulePaused(named: "minutely", false)
        #expect(resumed?.nextFireAt == Self.epoch.addingTimeInterval(720))
        try await harness.run(for: .seconds(120), step: .seconds(60))
        #expect(
            try await harness.fired().compactMap(\.time) == [60, 720, 780].map { Self.epoch.addingTimeInterval($0) })
    }

    @Test func aSingleTimeFiresOnceAndThenHasNoNextInstant() async throws {
        let harness = Harness()
        _ = try await harness.store.saveSchedule(
            Schedule(name: "once", trigger: .once(Self.epoch.addingTimeInterval(90)), event: template())
        )
        try await harness.run(for: .seconds(600), step: .seconds(30))
        #expect(try await harness.fired().compactMap(\.time) == [Self.epoch.addingTimeInterval(90)])
        #expect(try await harness.store.schedule(named: "once")?.nextFireAt == nil)
    }

    /// Two running schedulers share one store: one fires each instant; when the firing node dies holding
    /// the lock, the other takes over once the lease runs out and fires the instant that was missed.
    @Test func runningSchedulersFireEachInstantOnceAndTakeOverFromADeadNode() async throws {
        let harness = Harness()
        let other = Scheduler(
            store: harness.store,
            clock: harness.wallClock,
            configuration: .init(owner: "node-b", leaseDuration: .seconds(15), refreshInterval: .seconds(4))
        )
        // A node that took the lock and died: nobody fires until its lease runs out.
        _ = try await harness.store.acquire("herald.scheduler", owner: "dead-node", ttl: .seconds(15))
        _ = try await harness.store.saveSchedule(
            Schedule(name: "every10", trigger: .interval(.seconds(10), anchor: Self.epoch), event: template())
        )
        let running = [
            Task { try await harness.scheduler.run() },
            Task { try await other.run() },
        ]
        defer { for task in running { task.cancel() } }
        // At 16 s the dead node's lease has run out: a live scheduler takes over and fires the missed 10 s
        // instant once; then every instant on time, whichever node holds the lock.
        let steps: [(clock: Int64, firings: Int64)] = [(16, 1), (20, 2), (30, 3), (40, 4), (50, 5), (60, 6)]
        var elapsed: Int64 = 0
        for step in steps {
            harness.clock.advance(by: .seconds(step.clock - elapsed))
            elapsed = step.clock
            try await withTimeLimit(testHangLimit, "firing \(step.firings) at \(step.clock) s") {
                while try await harness.store.lastSequence() < step.firings {
                    _ = try await harness.store.waitForEvents(after: step.firings - 1, timeout: .seconds(3_600))
                }
            }
        }
        let times = try await harness.fired().compactMap(\.time)
        #expect(times == [10, 20, 30, 40, 50, 60].map { Self.epoch.addingTimeInterval($0) })
        let holder = try await harness.store.holder(of: "herald.scheduler")
        #expect(["node-a", "node-b"].contains(holder?.owner))
    }
}
