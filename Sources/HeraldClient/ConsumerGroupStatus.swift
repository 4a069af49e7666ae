/// A consumer group as the server reports it (`GET /v1/groups`, `GET /v1/groups/{name}`): its settings
/// and its counts.
public struct ConsumerGroupStatus: Sendable, Hashable {
    /// The group's name.
    public var name: String
    /// The pattern of the event types it receives.
    public var topic: String
    /// Where it started: `earliest` or `latest`, when reported.
    public var start: String?
    /// Deliveries of one event at most before it is dead-lettered, when reported.
    public var maxAttempts: Int?
    /// How long a delivery's lease lasts, when reported.
    public var ackTimeout: Duration?
    /// Whether events of one partition key are delivered one at a time, when reported.
    public var ordered: Bool?
    /// Events of its topic not acknowledged yet (dead letters excluded).
    public var lag: Int
    /// Deliveries leased and neither acknowledged nor expired.
    public var inFlight: Int
    /// Events in its dead letters.
    public var deadLetters: Int

    /// Creates a status.
    public init(
        name: String, topic: String, start: String? = nil, maxAttempts: Int? = nil, ackTimeout: Duration? = nil,
        ordered: Bool? = nil, lag: Int, inFlight: Int, deadLetters: Int
    ) {
        self.name = name
        self.topic = topic
        self.start = start
        self.maxAttempts = maxAttempts
        self.ackTimeout = ackTimeout
        self.ordered = ordered
        self.lag = lag
        self.inFlight = inFlight
        self.deadLetters = deadLetters
    }

    /// Reads one group; `name` stands in when the body has no `name` member.
    init(json: ResponseJSON, name defaultName: String? = nil) throws(HeraldClientError) {
        if let name = try json.optionalMember("name")?.string() {
            self.name = name
        } else if let defaultName {
            self.name = defaultName
        } else {
            throw json.invalid("\(json.path) has no member 'name'")
        }
        topic = try json.member("topic").string()
        start = try json.optionalMember("start")?.string()
        maxAttempts = try json.optionalMember("max_attempts")?.int()
        ackTimeout = (try json.optionalMember("ack_timeout_ms")?.int64()).map { Duration.milliseconds($0) }
        ordered = try json.optionalMember("ordered")?.bool()
        lag = try json.member("lag").int()
        inFlight = try json.member("in_flight").int()
        deadLetters = try json.member("dead_letters").int()
    }
}
