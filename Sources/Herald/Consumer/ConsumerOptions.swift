/// How a ``GroupConsumer`` consumes a group, and the settings of a group it creates: one type for the
/// router's durable handlers, ``PersistentEventBus`` subscriptions and ``ProcessManagerRunner``.
public struct ConsumerOptions: Sendable, Hashable {
    /// Where a group created for the consumer starts; ignored once the group exists.
    public var start: ConsumerGroupConfiguration.StartPosition
    /// Deliveries of one event at most before it goes to the group's dead letters, for a group created for
    /// the consumer.
    public var maxAttempts: Int
    /// How long a handler may hold an event before it is delivered again, for a group created for the
    /// consumer.
    public var ackTimeout: Duration
    /// How long a failed event waits before its next attempt when no ``RetryMiddleware`` says otherwise.
    public var retryDelay: Duration
    /// Whether a group created for the consumer is ordered: then events of one `partitionkey` are in flight
    /// one at a time across every consumer of the group, also while one waits for its next attempt.
    public var ordered: Bool
    /// How many deliveries one poll takes at most. The next poll goes out, carrying the acknowledgements made
    /// since the last, as soon as a whole batch fits beside the events in hand: a consumer holds up to one
    /// batch per poll in flight and one more (or ``concurrency`` events, when that is more).
    public var batchSize: Int
    /// How long a poll waits for events when the consumer has none in hand.
    public var pollWait: Duration
    /// How many handlers run at once. Events of one `partitionkey` are handled one at a time, in order,
    /// whatever the concurrency.
    public var concurrency: Int
    /// How long a stopping consumer lets its handlers finish before it cancels them.
    public var drainTimeout: Duration
    /// How many polls may be out at once, each for a batch: more hide the round trip to a remote server or a
    /// busy database. With more than one, two polls may come back out of order, so events of one
    /// `partitionkey` from different polls may be handled out of sequence order unless the group is
    /// ``ordered`` (which never has two of them in flight).
    public var pollsInFlight: Int

    /// Creates options: from the earliest event, 5 attempts, a 30-second lease, 1 second between attempts,
    /// unordered, 100 events a poll, one handler at a time, 10 seconds to drain, one poll at a time.
    public init(
        start: ConsumerGroupConfiguration.StartPosition = .earliest,
        maxAttempts: Int = 5,
        ackTimeout: Duration = .seconds(30),
        retryDelay: Duration = .seconds(1),
        ordered: Bool = false,
        batchSize: Int = 100,
        pollWait: Duration = .seconds(5),
        concurrency: Int = 1,
        drainTimeout: Duration = .seconds(10),
        pollsInFlight: Int = 1
    ) {
        self.start = start
        self.maxAttempts = maxAttempts
        self.ackTimeout = ackTimeout
        self.retryDelay = retryDelay
        self.ordered = ordered
        self.batchSize = batchSize
        self.pollWait = pollWait
        self.concurrency = concurrency
        self.drainTimeout = drainTimeout
        self.pollsInFlight = pollsInFlight
    }

    /// The settings of a group named `name` on `topic` with these options.
    public func groupConfiguration(name: String, topic: TopicPattern) -> ConsumerGroupConfiguration {
        ConsumerGroupConfiguration(
            name: name, topic: topic, start: start, maxAttempts: maxAttempts, ackTimeout: ackTimeout, ordered: ordered)
    }
}

/// The options of a ``PersistentEventBus`` subscription.
public typealias PersistentSubscriptionOptions = ConsumerOptions
