import Foundation

/// An event that a handler gave up on, with why: published to ``topic`` so that nothing is lost.
///
/// As an event, a dead letter has type `herald.deadletter`, the original event intact as its data in the
/// CloudEvents JSON format (`application/cloudevents+json`), and the extensions `dlhandler` (the handler),
/// `dlerror` (the last error, at most 2,048 characters) and `dlattempts` (how many attempts were made).
/// It keeps the original's `correlationid`, has the original's id as its `causationid`, and counts one
/// more hop.
public struct DeadLetter: Sendable, Hashable {
    /// The topic dead letters are published to.
    public static let topic = "herald.deadletter"
    /// The source of dead-letter events.
    public static let source = "urn:herald:router"
    static let maxErrorLength = 2048

    /// The event that was not handled, unchanged.
    public var event: Event
    /// The handler that gave up.
    public var handlerName: String
    /// Why: the last error, or the loop guard's reason.
    public var reason: String
    /// How many attempts were made; 0 when the event was never handed to the handler.
    public var attempts: Int

    /// Creates a dead letter.
    public init(event: Event, handlerName: String, reason: String, attempts: Int) {
        self.event = event
        self.handlerName = handlerName
        self.reason = reason
        self.attempts = attempts
    }

    /// Reads a dead letter back from a `herald.deadletter` event.
    ///
    /// - Throws: ``DeadLetterFormatError`` when the event is not a dead letter or its data is not a
    ///   CloudEvent in JSON.
    public init(_ deadLetterEvent: Event) throws {
        guard deadLetterEvent.type == Self.topic else {
            throw DeadLetterFormatError(
                message: "event '\(deadLetterEvent.id)' has type '\(deadLetterEvent.type)', not '\(Self.topic)'")
        }
        guard let data = deadLetterEvent.data else {
            throw DeadLetterFormatError(
                message: "dead letter '\(deadLetterEvent.id)' has no data; it must hold the original event")
        }
        self.event = try Event.decode(json: data)
        self.handlerName = deadLetterEvent.extensions["dlhandler"]?.textValue ?? ""
        self.reason = deadLetterEvent.extensions["dlerror"]?.textValue ?? ""
        self.attempts = deadLetterEvent.extensions["dlattempts"]?.textValue.flatMap { Int($0) } ?? 0
    }

    /// The dead letter as an event of type ``topic``.
    public func makeEvent() -> Event {
        var deadLetter = Event(
            source: Self.source,
            type: Self.topic,
            subject: event.subject,
            time: Date(),
            dataContentType: "application/cloudevents+json",
            extensions: [
                "dlhandler": .string(handlerName),
                "dlerror": .string(String(reason.prefix(Self.maxErrorLength))),
                "dlattempts": .integer(Int32(clamping: attempts)),
            ],
            data: event.jsonData()
        )
        deadLetter.correlationID = event.correlationID ?? event.id
        deadLetter.causationID = event.id
        deadLetter.hops = event.hops + 1
        return deadLetter
    }
}

/// A `herald.deadletter` event that cannot be read back as a ``DeadLetter``.
public struct DeadLetterFormatError: Error, Hashable, CustomStringConvertible {
    /// What was wrong.
    public var message: String

    public var description: String { "DeadLetterFormatError: \(message)" }
}
