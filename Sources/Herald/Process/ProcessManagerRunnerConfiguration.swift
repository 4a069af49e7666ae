/// How a ``ProcessManagerRunner`` consumes and retries: the ``ConsumerOptions`` every consumer takes, and
/// how often a step is repeated on version conflicts.
@dynamicMemberLookup
public struct ProcessManagerRunnerConfiguration: Sendable {
    /// How the runner's consumer polls, runs steps and retries, and the settings of the group it creates.
    public var consumer: ConsumerOptions
    /// How many times a step is repeated on version conflicts before its event is redelivered.
    public var conflictRetries: Int

    /// Creates a configuration; the defaults suit most managers.
    ///
    /// - Parameter concurrency: how many instances take a step at once; one instance's events always go one at
    ///   a time, in order.
    public init(
        start: ConsumerGroupConfiguration.StartPosition = .earliest,
        batchSize: Int = 64,
        pollWait: Duration = .seconds(5),
        ackTimeout: Duration = .seconds(30),
        maxAttempts: Int = 5,
        conflictRetries: Int = 50,
        retryDelay: Duration = .milliseconds(200),
        concurrency: Int = 16
    ) {
        self.consumer = ConsumerOptions(
            start: start, maxAttempts: maxAttempts, ackTimeout: ackTimeout, retryDelay: retryDelay,
            batchSize: batchSize, pollWait: pollWait, concurrency: concurrency)
        self.conflictRetries = conflictRetries
    }

    /// The consumer's options, as `configuration.maxAttempts`.
    public subscript<Value>(dynamicMember keyPath: WritableKeyPath<ConsumerOptions, Value>) -> Value {
        get { consumer[keyPath: keyPath] }
        set { consumer[keyPath: keyPath] = newValue }
    }
}
