import Foundation
import HeraldTesting
import Testing

@testable import Herald

@Suite struct RouterTests {
    let bus = EventBus()

    @Test func publishesWhatHandlersReturnWithCausationCorrelationAndHops() async throws {
        let router = Router(bus: bus)
        let recorder = try EventRecorder(attachedTo: bus, pattern: "orders.>")
        try router.addHandler("reserve", subscribingTo: "orders.placed") { event, _ in
            [Event(source: "/stock", type: "orders.reserved", subject: event.subject)]
        }
        try router.addHandler("ship", subscribingTo: "orders.reserved") { event, _ in
            [Event(source: "/shipping", type: "orders.shipped", subject: event.subject)]
        }
        var placed = Event(id: "first", source: "/shop", type: "orders.placed", subject: "order-1")
        placed.correlationID = "checkout-7"
        try await bus.publish(placed)
        let events = try await recorder.waitForEvents(matching: "orders.>", count: 3)
        let reserved = events[1]
        let shipped = events[2]
        #expect(reserved.type == "orders.reserved")
        #expect(reserved.causationID == "first")
        #expect(reserved.correlationID == "checkout-7")
        #expect(reserved.hops == 1)
        #expect(shipped.causationID == reserved.id)
        #expect(shipped.correlationID == "checkout-7")
        #expect(shipped.hops == 2)
    }

    @Test func correlationStartsAtTheFirstEventWhenItHasNone() async throws {
        let router = Router(bus: bus)
        let recorder = try EventRecorder(attachedTo: bus, pattern: "b")
        try router.addHandler("a-to-b", subscribingTo: "a") { _, _ in [Event(source: "/t", type: "b")] }
        try await bus.publish(Event(id: "origin", source: "/t", type: "a"))
        let caused = try await recorder.waitForEvents(matching: "b")
        #expect(caused[0].correlationID == "origin")
    }

    @Test func loopGuardStopsAHandlerThatFeedsItself() async throws {
        let router = Router(bus: bus, configuration: .init(maxHops: 16))
        let handled = EventRecorder()
        let deadLetters = try EventRecorder(attachedTo: bus, pattern: DeadLetter.topic)
        try router.addHandler("echo", subscribingTo: "ping") { event, _ in
            handled.record(event)
            return [Event(source: "/t", type: "ping")]
        }
        try await bus.publish(Event(id: "start", source: "/t", type: "ping"))
        let letters = try await deadLetters.waitForEvents(matching: DeadLetter.topic)
        await bus.waitUntilIdle()
        #expect(handled.events.map(\.hops) == Array(0...16))
        let letter = try DeadLetter(letters[0])
        #expect(letter.event.hops == 17)
        #expect(letter.handlerName == "echo")
        #expect(letter.reason.contains("loop guard"))
        #expect(letter.event.correlationID == "start")
        #expect(deadLetters.events.count == 1)
    }

    @Test func handlerMiddlewareRunsInsideRouterMiddlewareInOrder() async throws {
        struct Tag: EventMiddleware {
            let name: String
            let log: EventRecorder
            func handle(_ event: Event, context: HandlerContext, next: EventHandler) async throws -> [Event] {
                log.record(Event(source: "/t", type: "enter.\(name)"))
                return try await next(event, context)
            }
        }
        let log = EventRecorder()
        let router = Router(bus: bus, middleware: [Tag(name: "router1", log: log), Tag(name: "router2", log: log)])
        try router.addHandler("h", subscribingTo: "x", middleware: [Tag(name: "own", log: log)]) { _, _ in
            log.record(Event(source: "/t", type: "enter.handler"))
            return []
        }
        try await bus.publish(Event(source: "/t", type: "x"))
        let order = try await log.waitForEvents(matching: "enter.*", count: 4)
        #expect(order.map(\.type) == ["enter.router1", "enter.router2", "enter.own", "enter.handler"])
    }

    @Test func rejectsDuplicateHandlerNamesAndRemovesHandlers() async throws {
        let router = Router(bus: bus)
        try router.addHandler("h", subscribingTo: "x") { _, _ in [] }
        #expect(throws: RouterError.self) { try router.addHandler("h", subscribingTo: "y") { _, _ in [] } }
        #expect(router.handlerNames == ["h"])
        #expect(router.removeHandler("h"))
        #expect(!router.removeHandler("h"))
        #expect(bus.subscriberCount(matching: "x") == 0)
    }

    @Test func aFailingHandlerIsDeadLetteredAfterItsRetriesWithNothingLost() async throws {
        struct PaymentDeclined: Error, CustomStringConvertible {
            var description: String { "card declined" }
        }
        let router = Router(
            bus: bus,
            middleware: [DeadLetterMiddleware(), RetryMiddleware(maxAttempts: 3, initialDelay: .zero)]
        )
        let attempts = EventRecorder()
        let deadLetters = try EventRecorder(attachedTo: bus, pattern: DeadLetter.topic)
        try router.addHandler("charge", subscribingTo: "payments.requested") { event, context in
            attempts.record(event)
            throw PaymentDeclined()
        }
        var original = Event(id: "pay-1", source: "/shop", type: "payments.requested", subject: "order-9")
        original.extensions["tenant"] = "acme"
        original.data = Data(#"{"amount":12}"#.utf8)
        original.dataContentType = "application/json"
        try await bus.publish(original)
        let letter = try DeadLetter(try await deadLetters.waitForEvents(matching: DeadLetter.topic)[0])
        #expect(attempts.events.count == 3)
        #expect(letter.event == original)
        #expect(letter.handlerName == "charge")
        #expect(letter.reason == "card declined")
        #expect(letter.attempts == 3)
    }
}
