/// Something events can be published to: the in-process ``EventBus``, and later the durable log.
public protocol EventPublisher: Sendable {
    /// Publishes one event. Returns once every matching subscriber has accepted it (or dropped it, as its
    /// backpressure policy says); throws when the event is invalid or a subscriber refused it.
    func publish(_ event: Event) async throws
    /// Publishes events in order, as one batch where the implementation can.
    func publish(_ events: [Event]) async throws
}
