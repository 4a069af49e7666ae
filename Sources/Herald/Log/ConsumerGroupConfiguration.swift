import Foundation

/// The settings of a consumer group: which events it receives, from where, and how it redelivers.
public struct ConsumerGroupConfiguration: Sendable, Hashable {
    /// Where a new group starts reading the log.
    public enum StartPosition: Sendable, Hashable {
        /// With the first stored event.
        case earliest
        /// With the first event appended after the group is created.
        case latest
        /// With the first event whose sequence is above this one.
        case after(sequence: Int64)
        /// With the first event stored at or after this time.
        case time(Date)
    }

    /// The group's name: 1-128 characters of letters, digits, `-`, `_` and `.`.
    public var name: String
    /// The events the group receives: those whose type matches.
    public var topic: TopicPattern
    /// Where the group starts.
    public var start: StartPosition
    /// Deliveries of one event at most, counting the first; after the last failed one the event moves
    /// to the group's dead letters.
    public var maxAttempts: Int
    /// How long a consumer holds a delivery (its lease) before it is redelivered unless acknowledged.
    public var ackTimeout: Duration
    /// Whether events with the same `partitionkey` are delivered one at a time, in sequence order.
    ///
    /// An unacknowledged event then holds back only the later events of its own key.
    public var ordered: Bool

    /// Creates a configuration: from the earliest event, 5 attempts, a 30-second lease, unordered.
    public init(
        name: String,
        topic: TopicPattern,
        start: StartPosition = .earliest,
        maxAttempts: Int = 5,
        ackTimeout: Duration = .seconds(30),
        ordered: Bool = false
    ) {
        self.name = name
        self.topic = topic
        self.start = start
        self.maxAttempts = maxAttempts
        self.ackTimeout = ackTimeout
        self.ordered = ordered
    }

    /// Checks the name and the limits, with an error that says which setting is wrong.
    public func validate() throws(EventLogError) {
        let allowed = name.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
        }
        guard !name.isEmpty, name.utf8.count <= 128, allowed else {
            throw EventLogError(
                .invalidArgument,
                "consumer group name '\(name.prefix(140))' is invalid: use 1-128 letters, digits, '-', '_' or '.'"
            )
        }
        guard (1...1_000).contains(maxAttempts) else {
            throw EventLogError(.invalidArgument, "max_attempts must be between 1 and 1000, got \(maxAttempts)")
        }
        guard ackTimeout >= .milliseconds(1), ackTimeout <= .seconds(86_400) else {
            throw EventLogError(.invalidArgument, "ack_timeout must be between 1 ms and 24 hours, got \(ackTimeout)")
        }
    }
}
