import HeraldTesting
import Testing

@Suite struct TestClockTests {
    @Test func sleeperWakesOnlyOnceTimeReachesItsDeadline() async throws {
        let clock = TestClock()
        let sleeper = Task { try await clock.sleep(for: .seconds(5)) }
        try await clock.waitForSleepers(1)
        #expect(clock.sleeperDeadlines == [TestClock.Instant(offset: .seconds(5))])

        clock.advance(by: .seconds(4))
        #expect(clock.sleeperCount == 1)

        clock.advance(by: .seconds(1))
        try await sleeper.value
        #expect(clock.sleeperCount == 0)
        #expect(clock.now == TestClock.Instant(offset: .seconds(5)))
    }

    @Test func advanceWakesTheDueSleepersAndLeavesTheRest() async throws {
        let clock = TestClock()
        let sleepers = [3, 1, 2].map { seconds in
            Task { try await clock.sleep(for: .seconds(seconds)) }
        }
        try await clock.waitForSleepers(3)
        #expect(clock.sleeperDeadlines.map(\.offset) == [.seconds(1), .seconds(2), .seconds(3)])

        clock.advance(by: .seconds(2))
        try await sleepers[1].value
        try await sleepers[2].value
        #expect(clock.sleeperDeadlines.map(\.offset) == [.seconds(3)])

        clock.advance(by: .seconds(1))
        try await sleepers[0].value
    }

    @Test func sleepUntilThePastReturnsAtOnce() async throws {
        let clock = TestClock(now: TestClock.Instant(offset: .seconds(10)))
        try await clock.sleep(until: TestClock.Instant(offset: .seconds(3)), tolerance: nil)
        try await clock.sleep(for: .zero)
        #expect(clock.sleeperCount == 0)
    }

    @Test func cancelledSleeperThrowsAndStopsCounting() async throws {
        let clock = TestClock()
        let sleeper = Task { try await clock.sleep(for: .seconds(1)) }
        try await clock.waitForSleepers(1)

        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
        #expect(clock.sleeperCount == 0)
    }

    @Test func sleepInACancelledTaskThrowsWithoutSuspending() async throws {
        let clock = TestClock()
        let sleeper = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await clock.sleep(for: .seconds(1))
        }
        await #expect(throws: CancellationError.self) { try await sleeper.value }
        #expect(clock.sleeperCount == 0)
    }

    @Test func waitForSleepersReturnsAtOnceWhenEnoughAreSleeping() async throws {
        let clock = TestClock()
        let sleeper = Task { try await clock.sleep(for: .seconds(1)) }
        try await clock.waitForSleepers(1)
        try await clock.waitForSleepers(1)
        try await clock.waitForSleepers(0)
        clock.advance(by: .seconds(1))
        try await sleeper.value
    }

    @Test func waitForSleepersGivesUpAfterItsTimeout() async throws {
        let clock = TestClock()
        let error = await #expect(throws: TestClock.SleepersTimeoutError.self) {
            try await clock.waitForSleepers(1, timeout: .milliseconds(10))
        }
        #expect(error?.expected == 1)
        #expect(error?.sleeping == 0)
    }

    @Test func instantsMeasureTheDurationBetweenThem() {
        let start = TestClock.Instant(offset: .seconds(2))
        let later = start.advanced(by: .milliseconds(1500))
        #expect(start.duration(to: later) == .milliseconds(1500))
        #expect(start < later)
    }
}
