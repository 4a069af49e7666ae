/// How a ``ProcessManagerRunner`` consumes and retries: the ``ConsumerOptions`` every consumer takes, and
/// how often a step is repeated on version conflicts.
///
/// ```swift
/// var configuration = ProcessManagerRunnerConfiguration()
/// configuration.maxAttempts = 20  // the consumer's options read and write through
/// ```
@dynamicMemberLookup
public struct ProcessManagerRunnerConfiguration: Sendable {
    /// How the runner's consumer polls, runs steps and retries, and the settings of the group it creates.
    public var consumer: ConsumerOptions
    /// How many times a step is repeated on version conflicts before its event is redelivered.
    public var conflictRetries: Int

    /// The options a runner's consumer starts from: ``ConsumerOptions``' defaults, but 64 events a poll,
    /// 200 ms before a failed step's next attempt, and 16 instances taking a step at once (one instance's
    /// events always go one at a time, in order).
    public static var defaultConsumer: ConsumerOptions {
        ConsumerOptions(retryDelay: .milliseconds(200), batchSize: 64, concurrency: 16)
    }

    /// Creates a configuration; the defaults suit most managers.
    public init(consumer: ConsumerOptions = Self.defaultConsumer, conflictRetries: Int = 50) {
        self.consumer = consumer
        self.conflictRetries = conflictRetries
    }

    /// The consumer's options, as `configuration.maxAttempts`.
    public subscript<Value>(dynamicMember keyPath: WritableKeyPath<ConsumerOptions, Value>) -> Value {
        get { consumer[keyPath: keyPath] }
        set { consumer[keyPath: keyPath] = newValue }
    }
}
