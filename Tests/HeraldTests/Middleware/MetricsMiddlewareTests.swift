import Herald
import HeraldTesting
import MetricsTestKit
import Testing

@Suite struct MetricsMiddlewareTests {
    @Test func countsAndTimesASuccessfulCall() async throws {
        let metrics = TestMetrics()
        let clock = TestClock()
        let middleware = MetricsMiddleware(metricsFactory: metrics, clock: clock)

        _ = try await middleware.handle(.test(), context: .test(handlerName: "billing")) { _, _ in
            clock.advance(by: .milliseconds(1500))
            return []
        }

        let billing = [("handler", "billing")]
        #expect(try metrics.expectCounter("herald_events_handled_total", billing).totalValue == 1)
        #expect(metrics.counterTotal(label: "herald_events_failed_total") == 0)
        #expect(try metrics.expectTimer("herald_handling_duration_seconds", billing).values == [1_500_000_000])
    }

    @Test func countsAFailedCallAndRethrowsItsErrorUnchanged() async throws {
        let metrics = TestMetrics()
        let clock = TestClock()
        let middleware = MetricsMiddleware(metricsFactory: metrics, clock: clock)

        await #expect(throws: HandlerFailure(name: "declined")) {
            try await middleware.handle(.test(), context: .test(handlerName: "billing")) { _, _ in
                clock.advance(by: .seconds(2))
                throw HandlerFailure(name: "declined")
            }
        }

        let billing = [("handler", "billing")]
        #expect(try metrics.expectCounter("herald_events_handled_total", billing).totalValue == 1)
        #expect(try metrics.expectCounter("herald_events_failed_total", billing).totalValue == 1)
        #expect(try metrics.expectTimer("herald_handling_duration_seconds", billing).values == [2_000_000_000])
    }

    @Test func keepsEachHandlersMetricsApart() async throws {
        let metrics = TestMetrics()
        let middleware = MetricsMiddleware(metricsFactory: metrics, clock: TestClock())

        for handlerName in ["billing", "billing", "shipping"] {
            _ = try await middleware.handle(.test(), context: .test(handlerName: handlerName)) { _, _ in [] }
        }

        #expect(metrics.counterTotal(label: "herald_events_handled_total", dimensions: [("handler", "billing")]) == 2)
        #expect(metrics.counterTotal(label: "herald_events_handled_total", dimensions: [("handler", "shipping")]) == 1)
        #expect(try metrics.expectTimer("herald_handling_duration_seconds", [("handler", "shipping")]).values == [0])
    }

    @Test func returnsTheHandlersEvents() async throws {
        let middleware = MetricsMiddleware(metricsFactory: TestMetrics(), clock: TestClock())
        let reply = Event.test(id: "reply")

        let events = try await middleware.handle(.test(), context: .test()) { _, _ in [reply] }

        #expect(events == [reply])
    }
}
