import Herald
import HeraldTesting
import Testing

@Suite struct DeduplicateMiddlewareTests {
    /// Calls `middleware` with a handler that records the ids it handles and returns no events.
    private func handle(
        _ event: Event,
        with middleware: DeduplicateMiddleware,
        handlerName: String = "handler",
        recordingInto handled: Recorded<String>
    ) async throws -> [Event] {
        try await middleware.handle(event, context: .test(handlerName: handlerName)) { event, _ in
            handled.append(event.id)
            return [Event.test(id: "reply-\(event.id)")]
        }
    }

    @Test func dropsARepeatWithinTheWindowWithoutCallingTheHandler() async throws {
        let dedup = DeduplicateMiddleware(window: .seconds(60), clock: TestClock())
        let handled = Recorded<String>()

        let first = try await handle(.test(id: "e1"), with: dedup, recordingInto: handled)
        let repeated = try await handle(.test(id: "e1"), with: dedup, recordingInto: handled)

        #expect(first == [.test(id: "reply-e1")])
        #expect(repeated == [])
        #expect(handled.values == ["e1"])
    }

    @Test func handlesTheEventAgainOnceTheWindowHasPassed() async throws {
        let clock = TestClock()
        let dedup = DeduplicateMiddleware(window: .seconds(60), clock: clock)
        let handled = Recorded<String>()

        _ = try await handle(.test(id: "e1"), with: dedup, recordingInto: handled)
        clock.advance(by: .seconds(59))
        _ = try await handle(.test(id: "e1"), with: dedup, recordingInto: handled)
        clock.advance(by: .seconds(1))
        _ = try await handle(.test(id: "e1"), with: dedup, recordingInto: handled)

        #expect(handled.values == ["e1", "e1"])
    }

    @Test func forgetsExpiredEventsWhenNextUsed() async throws {
        let clock = TestClock()
        let dedup = DeduplicateMiddleware(window: .seconds(60), clock: clock)
        let handled = Recorded<String>()

        _ = try await handle(.test(id: "e1"), with: dedup, recordingInto: handled)
        clock.advance(by: .seconds(30))
        _ = try await handle(.test(id: "e2"), with: dedup, recordingInto: handled)
        #expect(dedup.rememberedCount == 2)

        clock.advance(by: .seconds(30))
        _ = try await handle(.test(id: "e3"), with: dedup, recordingInto: handled)
        #expect(dedup.rememberedCount == 2)
    }

    @Test func tellsEventsApartBySourceAndId() async throws {
        let dedup = DeduplicateMiddleware(clock: TestClock())
        let handled = Recorded<String>()

        _ = try await handle(.test(id: "e1", source: "/a"), with: dedup, recordingInto: handled)
        _ = try await handle(.test(id: "e1", source: "/b"), with: dedup, recordingInto: handled)
        _ = try await handle(.test(id: "e2", source: "/a"), with: dedup, recordingInto: handled)

        #expect(handled.values == ["e1", "e1", "e2"])
    }

    @Test func remembersEventsPerHandler() async throws {
        let dedup = DeduplicateMiddleware(clock: TestClock())
        let handled = Recorded<String>()

        _ = try await handle(.test(id: "e1"), with: dedup, handlerName: "billing", recordingInto: handled)
        _ = try await handle(.test(id: "e1"), with: dedup, handlerName: "shipping", recordingInto: handled)

        #expect(handled.values == ["e1", "e1"])
    }

    @Test func forgetsTheOldestEventWhenFull() async throws {
        let dedup = DeduplicateMiddleware(maxEntries: 2, clock: TestClock())
        let handled = Recorded<String>()

        for id in ["e1", "e2", "e3"] {
            _ = try await handle(.test(id: id), with: dedup, recordingInto: handled)
        }
        #expect(dedup.rememberedCount == 2)

        _ = try await handle(.test(id: "e3"), with: dedup, recordingInto: handled)
        _ = try await handle(.test(id: "e1"), with: dedup, recordingInto: handled)

        #expect(handled.values == ["e1", "e2", "e3", "e1"])
        #expect(dedup.rememberedCount == 2)
    }

    @Test func doesNotRememberAFailedHandling() async throws {
        let dedup = DeduplicateMiddleware(clock: TestClock())
        let attempts = Recorded<String>()
        let handler: EventHandler = { event, _ in
            attempts.append(event.id)
            if attempts.values.count == 1 { throw HandlerFailure() }
            return []
        }

        await #expect(throws: HandlerFailure.self) {
            try await dedup.handle(.test(id: "e1"), context: .test(), next: handler)
        }
        _ = try await dedup.handle(.test(id: "e1"), context: .test(), next: handler)
        _ = try await dedup.handle(.test(id: "e1"), context: .test(), next: handler)

        #expect(attempts.values == ["e1", "e1"])
    }

    @Test func dropsACopyArrivingWhileTheEventIsBeingHandled() async throws {
        let clock = TestClock()
        let dedup = DeduplicateMiddleware(clock: clock)
        let handled = Recorded<String>()
        let first = Task {
            try await dedup.handle(.test(id: "e1"), context: .test()) { event, _ in
                handled.append(event.id)
                try await clock.sleep(for: .seconds(1))
                return []
            }
        }
        try await clock.waitForSleepers(1)

        let copy = try await handle(.test(id: "e1"), with: dedup, recordingInto: handled)
        clock.advance(by: .seconds(1))
        _ = try await first.value

        #expect(copy == [])
        #expect(handled.values == ["e1"])
    }
}
