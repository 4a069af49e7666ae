/// One event leased to a consumer of a group, to be acknowledged or negatively acknowledged.
public struct Delivery: Sendable, Hashable {
    /// Names this delivery (this attempt) for ``ConsumerGroupStore/ack(group:deliveryIDs:)`` and
    /// ``ConsumerGroupStore/nack(group:deliveryIDs:delay:error:)``; a redelivery gets a new one.
    public var id: String
    /// Which attempt this is, starting at 1.
    public var attempt: Int
    /// The event and its sequence.
    public var stored: StoredEvent

    /// Creates a delivery.
    public init(id: String, attempt: Int, stored: StoredEvent) {
        self.id = id
        self.attempt = attempt
        self.stored = stored
    }

    /// The event's sequence in the log.
    public var sequence: Int64 { stored.sequence }
    /// The event.
    public var event: Event { stored.event }
}

/// An event a consumer group gave up on after its last attempt.
public struct DeadLetteredEvent: Sendable, Hashable {
    /// The event and its sequence.
    public var stored: StoredEvent
    /// How many deliveries were made.
    public var attempts: Int
    /// The error of the last negative acknowledgement, or why the last lease ran out.
    public var lastError: String?

    /// Creates a dead-lettered event.
    public init(stored: StoredEvent, attempts: Int, lastError: String?) {
        self.stored = stored
        self.attempts = attempts
        self.lastError = lastError
    }
}

/// A consumer group's settings and its counts.
public struct ConsumerGroupInfo: Sendable, Hashable {
    /// The settings.
    public var configuration: ConsumerGroupConfiguration
    /// Events of the group's topic not acknowledged yet: waiting, in flight or waiting for redelivery
    /// (dead letters excluded).
    public var lag: Int
    /// Deliveries leased and neither acknowledged nor expired.
    public var inFlight: Int
    /// Events in the group's dead letters.
    public var deadLetters: Int

    /// Creates the info.
    public init(configuration: ConsumerGroupConfiguration, lag: Int, inFlight: Int, deadLetters: Int) {
        self.configuration = configuration
        self.lag = lag
        self.inFlight = inFlight
        self.deadLetters = deadLetters
    }
}
