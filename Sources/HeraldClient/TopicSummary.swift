/// One event type the server has seen, from `GET /v1/topics`.
public struct TopicSummary: Sendable, Hashable {
    /// The event type.
    public var type: String
    /// How many events of the type are stored.
    public var count: Int64
    /// The sequence of the last one.
    public var lastSequence: Int64?
    /// The recent rate in events per second (the server measures it over the last minute), when reported.
    public var ratePerSecond: Double?

    /// Creates a summary.
    public init(type: String, count: Int64, lastSequence: Int64?, ratePerSecond: Double?) {
        self.type = type
        self.count = count
        self.lastSequence = lastSequence
        self.ratePerSecond = ratePerSecond
    }

    /// Reads `{"type":..., "count":..., "last_sequence":..., "rate_per_second":...}`.
    init(json: ResponseJSON) throws(HeraldClientError) {
        type = try json.member("type").string()
        count = try json.member("count").int64()
        lastSequence = try json.optionalMember("last_sequence")?.int64()
        ratePerSecond = try json.optionalMember("rate_per_second")?.double()
    }
}
