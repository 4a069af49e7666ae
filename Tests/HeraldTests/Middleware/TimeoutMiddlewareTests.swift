import Herald
import HeraldTesting
import Testing

@Suite struct TimeoutMiddlewareTests {
    @Test func returnsTheEventsOfAHandlerThatFinishesInTime() async throws {
        let clock = TestClock()
        let timeout = TimeoutMiddleware(limit: .seconds(5), clock: clock)
        let reply = Event.test(id: "reply")

        let events = try await timeout.handle(.test(), context: .test()) { _, _ in [reply] }

        #expect(events == [reply])
    }

    @Test func throwsAndCancelsTheHandlerWhenTheLimitPasses() async throws {
        let clock = TestClock()
        let timeout = TimeoutMiddleware(limit: .seconds(5), clock: clock)
        let handlerOutcome = Recorded<String>()
        let handling = Task {
            try await timeout.handle(.test(), context: .test(handlerName: "slow")) { _, _ in
                do {
                    try await clock.sleep(for: .seconds(60))
                    handlerOutcome.append("finished")
                } catch {
                    handlerOutcome.append("\(type(of: error))")
                    throw error
                }
                return []
            }
        }

        try await clock.waitForSleepers(2)
        clock.advance(by: .seconds(5))

        let error = await #expect(throws: HandlerTimeoutError.self) { try await handling.value }
        #expect(error?.handlerName == "slow")
        #expect(error?.limit == .seconds(5))
        #expect(handlerOutcome.values == ["CancellationError"])
        #expect(clock.sleeperCount == 0)
    }

    @Test func rethrowsTheHandlersOwnErrorUnchanged() async throws {
        let timeout = TimeoutMiddleware(limit: .seconds(5), clock: TestClock())

        await #expect(throws: HandlerFailure(name: "own")) {
            try await timeout.handle(.test(), context: .test()) { _, _ in throw HandlerFailure(name: "own") }
        }
    }

    @Test func limitsEachRetryAttemptSeparately() async throws {
        let clock = TestClock()
        let attempts = Recorded<Int>()
        let middleware: [any EventMiddleware] = [
            RetryMiddleware(maxAttempts: 2, initialDelay: .zero, jitter: 0),
            TimeoutMiddleware(limit: .seconds(5), clock: clock),
        ]
        let handler = middleware.wrapping { _, context in
            attempts.append(context.attempt)
            if context.attempt == 1 { try await clock.sleep(for: .seconds(60)) }
            return []
        }
        let handling = Task { try await handler(.test(), .test()) }

        try await clock.waitForSleepers(2)
        clock.advance(by: .seconds(5))

        #expect(try await handling.value == [])
        #expect(attempts.values == [1, 2])
    }
}
