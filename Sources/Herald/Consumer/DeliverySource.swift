/// A consumer group that a ``GroupConsumer`` consumes: a local store's group (``ConsumerGroupSource``) or a
/// remote server's (`HeraldClient`'s `RemoteConsumerGroup`).
///
/// The consumer calls ``open()`` once, then polls with the acknowledgements of the events it handled riding
/// on the next poll, negatively acknowledges the events its handler failed, and publishes the events its
/// handler returned through ``publish(_:)`` before acknowledging the event that caused them.
public protocol DeliverySource: Sendable {
    /// The consumer group's name, for logs.
    var groupName: String { get }

    /// Makes the group ready to consume (creating it when the source says how) and returns its
    /// `maxAttempts` when the source knows it, so that middleware can tell the last attempt.
    ///
    /// - Throws: when the group cannot be created or does not exist; the consumer stops with this error.
    func open() async throws -> Int?

    /// Acknowledges `acknowledging`, then leases up to `max` deliveries, waiting up to `wait` for the first;
    /// the acknowledgements are durable when this returns, also when the wait ends with no event.
    func poll(max: Int, wait: Duration, acknowledging: [String]) async throws -> [Delivery]

    /// Acknowledges deliveries; durable when this returns.
    func ack(_ deliveryIDs: [String]) async throws

    /// Negatively acknowledges deliveries: each comes again after `delay`, or goes to the group's dead
    /// letters with `error` after its last attempt.
    func nack(_ deliveryIDs: [String], delay: Duration, error: String) async throws

    /// Publishes events atomically where the group's events come from: what middleware publishes, such as
    /// dead letters.
    func publish(_ events: [Event]) async throws

    /// Publishes the events a handler returned for `delivery`, and acknowledges the delivery with them when
    /// the source can do both in one transaction (a local store that is an ``AcknowledgingEventLog``), so that
    /// a crash between the two can neither lose the events nor publish them twice.
    func complete(_ delivery: Delivery, publishing events: [Event]) async throws -> CompletionOutcome
}

extension DeliverySource {
    /// Publishes the events; the delivery is still to be acknowledged.
    public func complete(_ delivery: Delivery, publishing events: [Event]) async throws -> CompletionOutcome {
        try await publish(events)
        return .published
    }
}

/// What ``DeliverySource/complete(_:publishing:)`` did.
public enum CompletionOutcome: Sendable, Hashable {
    /// The events were published and the delivery acknowledged, together.
    case acknowledged
    /// The events were published; the delivery is still to be acknowledged.
    case published
    /// Nothing was published: the delivery is no longer current (its lease ran out, or a seek ended it), so
    /// another consumer may handle the event.
    case superseded
}
