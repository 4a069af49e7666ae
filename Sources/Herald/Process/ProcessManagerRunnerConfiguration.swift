/// How a ``ProcessManagerRunner`` consumes and retries.
public struct ProcessManagerRunnerConfiguration: Sendable {
    /// Where a new consumer group starts reading.
    public var start: ConsumerGroupConfiguration.StartPosition
    /// How many events one poll leases.
    public var batchSize: Int
    /// How long an idle poll waits for events.
    public var pollWait: Duration
    /// How long a step may take before its event goes to another consumer.
    public var ackTimeout: Duration
    /// How many times an event is delivered before it is dead lettered.
    public var maxAttempts: Int
    /// How many times a step is repeated on version conflicts before its event is redelivered.
    public var conflictRetries: Int
    /// How long a failed step's event waits before it is delivered again.
    public var retryDelay: Duration

    /// Creates a configuration; the defaults suit most managers.
    public init(
        start: ConsumerGroupConfiguration.StartPosition = .earliest,
        batchSize: Int = 64,
        pollWait: Duration = .seconds(5),
        ackTimeout: Duration = .seconds(30),
        maxAttempts: Int = 5,
        conflictRetries: Int = 50,
        retryDelay: Duration = .milliseconds(200)
    ) {
        self.start = start
        self.batchSize = batchSize
        self.pollWait = pollWait
        self.ackTimeout = ackTimeout
        self.maxAttempts = maxAttempts
        self.conflictRetries = conflictRetries
        self.retryDelay = retryDelay
    }
}
