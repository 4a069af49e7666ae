import Herald
import HeraldTesting
import Testing

@Suite struct ThrottleMiddlewareTests {
    @Test func spacesCallsBeyondTheRateByTheInterval() async throws {
        let clock = TestClock()
        let throttle = ThrottleMiddleware(events: 2, per: .seconds(1), clock: clock)
        let startTimes = Recorded<Duration>()
        let handler: EventHandler = { _, _ in
            startTimes.append(clock.now.offset)
            return []
        }

        _ = try await throttle.handle(.test(), context: .test(), next: handler)
        let second = Task { try await throttle.handle(.test(), context: .test(), next: handler) }
        try await clock.waitForSleepers(1)
        let third = Task { try await throttle.handle(.test(), context: .test(), next: handler) }
        try await clock.waitForSleepers(2)

        #expect(clock.sleeperDeadlines.map(\.offset) == [.milliseconds(500), .milliseconds(1000)])
        #expect(startTimes.values == [.zero])

        clock.advance(by: .milliseconds(500))
        _ = try await second.value
        #expect(startTimes.values == [.zero, .milliseconds(500)])

        clock.advance(by: .milliseconds(500))
        _ = try await third.value
        #expect(startTimes.values == [.zero, .milliseconds(500), .milliseconds(1000)])
    }

    @Test func letsABurstThroughAtOnceThenWaits() async throws {
        let clock = TestClock()
        let throttle = ThrottleMiddleware(events: 1, per: .seconds(1), burst: 3, clock: clock)
        let calls = Recorded<Int>()
        let handler: EventHandler = { _, _ in
            calls.append(1)
            return []
        }

        for _ in 1...3 {
            _ = try await throttle.handle(.test(), context: .test(), next: handler)
        }
        #expect(calls.values.count == 3)

        let fourth = Task { try await throttle.handle(.test(), context: .test(), next: handler) }
        try await clock.waitForSleepers(1)
        #expect(clock.sleeperDeadlines.map(\.offset) == [.seconds(1)])
        clock.advance(by: .seconds(1))
        _ = try await fourth.value
        #expect(calls.values.count == 4)
    }

    @Test func aQuietSpellRefillsTheBucket() async throws {
        let clock = TestClock()
        let throttle = ThrottleMiddleware(events: 1, per: .seconds(1), burst: 2, clock: clock)

        for _ in 1...2 {
            _ = try await throttle.handle(.test(), context: .test()) { _, _ in [] }
        }
        clock.advance(by: .seconds(2))
        for _ in 1...2 {
            _ = try await throttle.handle(.test(), context: .test()) { _, _ in [] }
        }

        #expect(clock.sleeperCount == 0)
        #expect(clock.now.offset == .seconds(2))
    }

    @Test func aCallCancelledWhileWaitingThrowsWithoutCallingTheHandler() async throws {
        let clock = TestClock()
        let throttle = ThrottleMiddleware(events: 1, per: .seconds(1), clock: clock)
        let calls = Recorded<Int>()
        let handler: EventHandler = { _, _ in
            calls.append(1)
            return []
        }

        _ = try await throttle.handle(.test(), context: .test(), next: handler)
        let waiting = Task { try await throttle.handle(.test(), context: .test(), next: handler) }
        try await clock.waitForSleepers(1)
        waiting.cancel()

        await #expect(throws: CancellationError.self) { try await waiting.value }
        #expect(calls.values.count == 1)
    }
}
