/// What ``ConsumerGroupStore/poll(group:max:wait:acknowledging:)`` did: the acknowledgements it made and
/// the deliveries it leased.
public struct PollResult: Sendable, Hashable {
    /// The ids among those to acknowledge that were current and are now acknowledged. The others named no
    /// current delivery: unknown, expired, already settled, or ended by a seek.
    public var acknowledged: Set<String>
    /// The deliveries leased, in sequence order.
    public var deliveries: [Delivery]

    /// Creates a result.
    public init(acknowledged: Set<String>, deliveries: [Delivery]) {
        self.acknowledged = acknowledged
        self.deliveries = deliveries
    }
}
