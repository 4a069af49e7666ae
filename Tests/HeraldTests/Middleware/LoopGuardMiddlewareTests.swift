import HeraldTesting
import Testing

@testable import Herald

@Suite struct LoopGuardMiddlewareTests {
    func event(hops: Int, type: String = "ping") -> Event {
        var event = Event(source: "/t", type: type)
        event.hops = hops
        return event
    }

    @Test(arguments: [0, 1, 15, 16])
    func handlesEventsUpToTheLimit(_ hops: Int) async throws {
        let publisher = EventRecorder()
        let handled = EventRecorder()
        _ = try await LoopGuardMiddleware(maxHops: 16).handle(event(hops: hops), context: .test(publisher: publisher)) {
            event, _ in
            handled.record(event)
            return []
        }
        #expect(handled.events.count == 1)
        #expect(publisher.events.isEmpty)
    }

    @Test func deadLettersAnEventOverTheLimitWithTheReasonInsteadOfHandlingIt() async throws {
        let publisher = EventRecorder()
        let caused = try await LoopGuardMiddleware(maxHops: 3).handle(
            event(hops: 4), context: .test(handlerName: "echo", publisher: publisher)
        ) { _, _ in
            Issue.record("the handler must not run")
            return []
        }
        #expect(caused.isEmpty)
        let letter = try DeadLetter(try #require(publisher.events.first))
        #expect(letter.event.hops == 4)
        #expect(letter.handlerName == "echo")
        #expect(letter.attempts == 0)
        #expect(letter.reason.contains("more than the limit of 3"))
    }

    @Test func dropsADeadLetterOverTheLimitRatherThanLooping() async throws {
        let publisher = EventRecorder()
        let caused = try await LoopGuardMiddleware(maxHops: 3).handle(
            event(hops: 9, type: DeadLetter.topic), context: .test(publisher: publisher)
        ) { _, _ in [] }
        #expect(caused.isEmpty)
        #expect(publisher.events.isEmpty)
    }

    @Test func readsHopsSentAsText() {
        var event = Event(source: "/t", type: "x")
        event.extensions["hops"] = "7"
        #expect(event.hops == 7)
    }
}
