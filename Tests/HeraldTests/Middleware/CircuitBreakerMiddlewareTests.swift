import Herald
import HeraldTesting
import Testing

@Suite struct CircuitBreakerMiddlewareTests {
    private let failing: EventHandler = { _, _ in throw HandlerFailure() }
    private let succeeding: EventHandler = { _, _ in [] }

    /// Fails `count` calls through `breaker`, each with the handler's own error.
    private func fail(_ count: Int, through breaker: CircuitBreakerMiddleware) async {
        for _ in 0..<count {
            await #expect(throws: HandlerFailure.self) {
                try await breaker.handle(.test(), context: .test(), next: failing)
            }
        }
    }

    @Test func opensAfterConsecutiveFailuresAndFailsFastWithoutCallingTheHandler() async throws {
        let clock = TestClock()
        let breaker = CircuitBreakerMiddleware(failureThreshold: 3, openDuration: .seconds(30), clock: clock)
        await fail(3, through: breaker)
        clock.advance(by: .seconds(10))

        let calls = Recorded<Int>()
        let error = await #expect(throws: CircuitOpenError.self) {
            try await breaker.handle(.test(), context: .test(handlerName: "billing")) { _, _ in
                calls.append(1)
                return []
            }
        }

        #expect(error?.handlerName == "billing")
        #expect(error?.remaining == .seconds(20))
        #expect(calls.values.isEmpty)
    }

    @Test func aSuccessResetsTheConsecutiveFailures() async throws {
        let breaker = CircuitBreakerMiddleware(failureThreshold: 3, clock: TestClock())
        await fail(2, through: breaker)
        _ = try await breaker.handle(.test(), context: .test(), next: succeeding)
        await fail(2, through: breaker)

        _ = try await breaker.handle(.test(), context: .test(), next: succeeding)
    }

    @Test func aSuccessfulTrialAfterTheOpenDurationClosesTheCircuit() async throws {
        let clock = TestClock()
        let breaker = CircuitBreakerMiddleware(failureThreshold: 2, openDuration: .seconds(30), clock: clock)
        await fail(2, through: breaker)
        clock.advance(by: .seconds(30))

        _ = try await breaker.handle(.test(), context: .test(), next: succeeding)

        await fail(1, through: breaker)
        _ = try await breaker.handle(.test(), context: .test(), next: succeeding)
    }

    @Test func aFailedTrialOpensTheCircuitAgain() async throws {
        let clock = TestClock()
        let breaker = CircuitBreakerMiddleware(failureThreshold: 2, openDuration: .seconds(30), clock: clock)
        await fail(2, through: breaker)
        clock.advance(by: .seconds(30))

        await fail(1, through: breaker)

        let error = await #expect(throws: CircuitOpenError.self) {
            try await breaker.handle(.test(), context: .test(), next: succeeding)
        }
        #expect(error?.remaining == .seconds(30))
    }

    @Test func letsOneTrialCallThroughAtATime() async throws {
        let clock = TestClock()
        let breaker = CircuitBreakerMiddleware(failureThreshold: 1, openDuration: .seconds(30), clock: clock)
        await fail(1, through: breaker)
        clock.advance(by: .seconds(30))

        let trial = Task {
            try await breaker.handle(.test(), context: .test()) { _, _ in
                try await clock.sleep(for: .seconds(1))
                return []
            }
        }
        try await clock.waitForSleepers(1)

        let error = await #expect(throws: CircuitOpenError.self) {
            try await breaker.handle(.test(), context: .test(), next: succeeding)
        }
        #expect(error?.remaining == .zero)

        clock.advance(by: .seconds(1))
        _ = try await trial.value
        _ = try await breaker.handle(.test(), context: .test(), next: succeeding)
    }

    @Test func aCancelledTrialFreesTheTrialSlot() async throws {
        let clock = TestClock()
        let breaker = CircuitBreakerMiddleware(failureThreshold: 1, openDuration: .seconds(30), clock: clock)
        await fail(1, through: breaker)
        clock.advance(by: .seconds(30))

        await #expect(throws: CancellationError.self) {
            try await breaker.handle(.test(), context: .test()) { _, _ in throw CancellationError() }
        }

        _ = try await breaker.handle(.test(), context: .test(), next: succeeding)
    }

    @Test func cancellationIsNotCountedAsAFailure() async throws {
        let breaker = CircuitBreakerMiddleware(failureThreshold: 2, clock: TestClock())
        await fail(1, through: breaker)
        await #expect(throws: CancellationError.self) {
            try await breaker.handle(.test(), context: .test()) { _, _ in throw CancellationError() }
        }

        await fail(1, through: breaker)
        await #expect(throws: CircuitOpenError.self) {
            try await breaker.handle(.test(), context: .test(), next: succeeding)
        }
    }
}
