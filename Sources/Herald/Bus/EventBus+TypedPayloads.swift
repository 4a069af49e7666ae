/// Subscribing and publishing with the user's own payload types.
extension EventBus {
    /// Subscribes to events of `Payload.eventType`, decoding each event's data into `Payload`.
    ///
    /// An event whose data does not decode never reaches `handler`: the bus logs and counts the
    /// ``PayloadDecodingError`` (which names the type and the field) like any handler error.
    @discardableResult
    public func subscribe<Payload: EventPayload>(
        to payloadType: Payload.Type,
        options: SubscriptionOptions = SubscriptionOptions(),
        handler: @escaping @Sendable (Payload, Event) async throws -> Void
    ) throws -> Subscription {
        try subscribe(Payload.eventType, options: options) { event in
            try await handler(try event.decode(Payload.self), event)
        }
    }

    /// Publishes `payload` as a JSON event of type `Payload.eventType` from `source`.
    public func publish<Payload: EventPayload>(_ payload: Payload, source: String) async throws {
        try await publish(try Event(payload, source: source))
    }
}
