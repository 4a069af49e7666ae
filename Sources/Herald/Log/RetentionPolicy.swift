/// How long the log keeps events of some topics: by age, by count, or both (an event goes when either
/// limit says so).
public struct RetentionPolicy: Sendable, Hashable {
    /// The events the policy applies to.
    public var topic: TopicPattern
    /// Events stored longer ago than this go.
    public var maxAge: Duration?
    /// Only this many of the newest matching events stay.
    public var maxCount: Int?
    /// Whether events that a consumer group has not acknowledged may go too. Off by default: retention
    /// never takes an event from under a consumer group.
    public var removesUnacknowledged: Bool

    /// Creates a policy.
    public init(topic: TopicPattern, maxAge: Duration? = nil, maxCount: Int? = nil, removesUnacknowledged: Bool = false)
    {
        self.topic = topic
        self.maxAge = maxAge
        self.maxCount = maxCount
        self.removesUnacknowledged = removesUnacknowledged
    }
}
