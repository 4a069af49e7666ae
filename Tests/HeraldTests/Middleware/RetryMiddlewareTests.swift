import Herald
import HeraldTesting
import MetricsTestKit
import Testing

@Suite struct RetryMiddlewareTests {
    @Test func retriesUntilTheHandlerSucceedsAndNumbersTheAttempts() async throws {
        let attempts = Recorded<Int>()
        let retry = RetryMiddleware(maxAttempts: 5, initialDelay: .zero, jitter: 0, metricsFactory: TestMetrics())
        let reply = Event.test(id: "reply")

        let events = try await retry.handle(.test(), context: .test()) { _, context in
            attempts.append(context.attempt)
            if context.attempt < 3 { throw HandlerFailure() }
            return [reply]
        }

        #expect(events == [reply])
        #expect(attempts.values == [1, 2, 3])
    }

    @Test func rethrowsTheLastErrorAfterMaxAttempts() async throws {
        let attempts = Recorded<Int>()
        let retry = RetryMiddleware(maxAttempts: 3, initialDelay: .zero, jitter: 0, metricsFactory: TestMetrics())

        await #expect(throws: HandlerFailure(name: "attempt 3")) {
            try await retry.handle(.test(), context: .test()) { _, context in
                attempts.append(context.attempt)
                throw HandlerFailure(name: "attempt \(context.attempt)")
            }
        }
        #expect(attempts.values == [1, 2, 3])
    }

    /// Runs `retry` around a handler that always fails, advancing `clock` through each delay, and returns
    /// the delays it slept.
    private func delaysSlept(by retry: RetryMiddleware, on clock: TestClock) async throws -> [Duration] {
        let handling = Task {
            try await retry.handle(.test(), context: .test()) { _, _ in throw HandlerFailure() }
        }
        var delays: [Duration] = []
        for _ in 1..<retry.maxAttempts {
            try await clock.waitForSleepers(1)
            let delay = clock.now.duration(to: clock.sleeperDeadlines[0])
            delays.append(delay)
            clock.advance(by: delay)
        }
        await #expect(throws: HandlerFailure.self) { try await handling.value }
        return delays
    }

    @Test func delaysGrowByTheMultiplierUpToMaxDelay() async throws {
        let clock = TestClock()
        let retry = RetryMiddleware(
            maxAttempts: 5,
            initialDelay: .seconds(1),
            multiplier: 2,
            maxDelay: .seconds(5),
            jitter: 0,
            clock: clock,
            metricsFactory: TestMetrics()
        )

        let delays = try await delaysSlept(by: retry, on: clock)

        #expect(delays == [.seconds(1), .seconds(2), .seconds(4), .seconds(5)])
    }

    @Test(arguments: [(-0.5, Duration.milliseconds(1000)), (0.5, Duration.milliseconds(3000))])
    func jitterMovesTheDelayWithinItsFraction(randomValue: Double, expectedDelay: Duration) async throws {
        let clock = TestClock()
        let ranges = Recorded<ClosedRange<Double>>()
        let retry = RetryMiddleware(
            maxAttempts: 2,
            initialDelay: .seconds(2),
            jitter: 0.5,
            clock: clock,
            random: { range in
                ranges.append(range)
                return randomValue
            },
            metricsFactory: TestMetrics()
        )

        let delays = try await delaysSlept(by: retry, on: clock)

        #expect(delays == [expectedDelay])
        #expect(ranges.values == [-0.5...0.5])
    }

    @Test func randomJitterStaysWithinItsBounds() async throws {
        let clock = TestClock()
        let retry = RetryMiddleware(
            maxAttempts: 21,
            initialDelay: .seconds(10),
            multiplier: 1,
            maxDelay: .seconds(10),
            jitter: 0.2,
            clock: clock,
            metricsFactory: TestMetrics()
        )

        let delays = try await delaysSlept(by: retry, on: clock)

        #expect(delays.count == 20)
        #expect(delays.allSatisfy { (.seconds(8)...(.seconds(12))).contains($0) })
    }

    @Test func shouldRetryRefusingAnErrorStopsAtOnce() async throws {
        let attempts = Recorded<Int>()
        let retry = RetryMiddleware(
            maxAttempts: 5,
            initialDelay: .zero,
            shouldRetry: { ($0 as? HandlerFailure)?.name != "permanent" },
            metricsFactory: TestMetrics()
        )

        await #expect(throws: HandlerFailure(name: "permanent")) {
            try await retry.handle(.test(), context: .test()) { _, context in
                attempts.append(context.attempt)
                throw HandlerFailure(name: context.attempt == 1 ? "transient" : "permanent")
            }
        }
        #expect(attempts.values == [1, 2])
    }

    @Test func cancellationErrorIsNotRetriedByDefault() async throws {
        let attempts = Recorded<Int>()
        let retry = RetryMiddleware(maxAttempts: 5, initialDelay: .zero, metricsFactory: TestMetrics())

        await #expect(throws: CancellationError.self) {
            try await retry.handle(.test(), context: .test()) { _, context in
                attempts.append(context.attempt)
                throw CancellationError()
            }
        }
        #expect(attempts.values == [1])
    }

    @Test func cancellingTheTaskDuringTheDelayStopsRetrying() async throws {
        let clock = TestClock()
        let metrics = TestMetrics()
        let attempts = Recorded<Int>()
        let retry = RetryMiddleware(maxAttempts: 5, initialDelay: .seconds(1), clock: clock, metricsFactory: metrics)
        let handling = Task {
            try await retry.handle(.test(), context: .test()) { _, context in
                attempts.append(context.attempt)
                throw HandlerFailure()
            }
        }

        try await clock.waitForSleepers(1)
        handling.cancel()

        await #expect(throws: CancellationError.self) { try await handling.value }
        #expect(attempts.values == [1])
        #expect(clock.sleeperCount == 0)
        #expect(metrics.counterTotal(label: "herald_handler_retries_total") == 0)
    }

    @Test func cancellingTheTaskDuringAnAttemptRethrowsItsError() async throws {
        let attempts = Recorded<Int>()
        let retry = RetryMiddleware(maxAttempts: 5, initialDelay: .zero, metricsFactory: TestMetrics())
        let handling = Task {
            try await retry.handle(.test(), context: .test()) { _, context in
                attempts.append(context.attempt)
                withUnsafeCurrentTask { $0?.cancel() }
                throw HandlerFailure()
            }
        }

        await #expect(throws: HandlerFailure.self) { try await handling.value }
        #expect(attempts.values == [1])
    }

    @Test func countsEachRetryPerHandler() async throws {
        let metrics = TestMetrics()
        let retry = RetryMiddleware(maxAttempts: 3, initialDelay: .zero, metricsFactory: metrics)

        _ = try await retry.handle(.test(), context: .test(handlerName: "billing")) { _, context in
            if context.attempt < 3 { throw HandlerFailure() }
            return []
        }
        _ = try await retry.handle(.test(), context: .test(handlerName: "shipping")) { _, _ in [] }

        let billing = try metrics.expectCounter("herald_handler_retries_total", [("handler", "billing")])
        #expect(billing.totalValue == 2)
        #expect(metrics.counters(label: "herald_handler_retries_total", dimensions: [("handler", "shipping")]).isEmpty)
    }
}
