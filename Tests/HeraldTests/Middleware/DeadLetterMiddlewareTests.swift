import Foundation
import HeraldTesting
import MetricsTestKit
import Testing

@testable import Herald

@Suite struct DeadLetterMiddlewareTests {
    @Test func publishesTheFailedEventIntactWithHandlerErrorAndAttempts() async throws {
        let metrics = TestMetrics()
        let publisher = EventRecorder()
        var context = HandlerContext.test(handlerName: "charge", publisher: publisher)
        context.attempt = 1
        var original = Event(
            id: "pay-1", source: "/shop", type: "payments.requested", subject: "order-9",
            dataContentType: "application/octet-stream", data: Data([0, 1, 2, 255]))
        original.correlationID = "checkout-1"
        let middleware = DeadLetterMiddleware(metricsFactory: metrics)
        let caused = try await middleware.handle(original, context: context) { _, context in
            var retried = context
            retried.attempt = 4
            throw HandlerFailure(name: "declined")
        }
        #expect(caused.isEmpty)
        let published = publisher.events
        #expect(published.count == 1)
        let deadLetterEvent = try #require(published.first)
        #expect(deadLetterEvent.type == DeadLetter.topic)
        #expect(deadLetterEvent.correlationID == "checkout-1")
        #expect(deadLetterEvent.causationID == "pay-1")
        #expect(deadLetterEvent.hops == 1)
        let letter = try DeadLetter(deadLetterEvent)
        #expect(letter.event == original)
        #expect(letter.handlerName == "charge")
        #expect(letter.attempts == 4)
        #expect(letter.reason.contains("declined"))
        #expect(try metrics.expectCounter("herald_events_dead_lettered_total", [("handler", "charge")]).totalValue == 1)
    }

    @Test func passesSuccessThroughUntouched() async throws {
        let publisher = EventRecorder()
        let output = [Event(source: "/t", type: "done")]
        let caused = try await DeadLetterMiddleware().handle(.test(), context: .test(publisher: publisher)) { _, _ in
            output
        }
        #expect(caused == output)
        #expect(publisher.events.isEmpty)
    }

    @Test func neverDeadLettersADeadLetterAgain() async throws {
        let publisher = EventRecorder()
        let letter = DeadLetter(event: .test(), handlerName: "h", reason: "r", attempts: 1).makeEvent()
        await #expect(throws: HandlerFailure.self) {
            _ = try await DeadLetterMiddleware().handle(letter, context: .test(publisher: publisher)) { _, _ in
                throw HandlerFailure()
            }
        }
        #expect(publisher.events.isEmpty)
    }

    @Test func cancellationIsNotDeadLettered() async throws {
        let publisher = EventRecorder()
        await #expect(throws: CancellationError.self) {
            _ = try await DeadLetterMiddleware().handle(.test(), context: .test(publisher: publisher)) { _, _ in
                throw CancellationError()
            }
        }
        #expect(publisher.events.isEmpty)
    }

    @Test func truncatesAHugeErrorMessage() async throws {
        let letter = DeadLetter(
            event: .test(), handlerName: "h", reason: String(repeating: "x", count: 10_000), attempts: 1)
        let read = try DeadLetter(letter.makeEvent())
        #expect(read.reason.count == DeadLetter.maxErrorLength)
    }

    @Test func refusesToReadAnEventThatIsNotADeadLetter() {
        #expect(throws: DeadLetterFormatError.self) { try DeadLetter(Event.test()) }
        #expect(throws: DeadLetterFormatError.self) { try DeadLetter(Event(source: "/t", type: DeadLetter.topic)) }
    }
}
