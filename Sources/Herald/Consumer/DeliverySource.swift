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

    /// Publishes the events a handler returned, atomically, where the group's events come from.
    func publish(_ events: [Event]) async throws
}
