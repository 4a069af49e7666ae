/// What an ack or a nack did.
public struct SettleResult: Sendable, Hashable {
    /// How many deliveries were current and are now settled.
    public var settled: Int
    /// The delivery IDs, in request order, that named no current delivery: never issued, settled before,
    /// or whose lease ran out (the event is, or will be, delivered again under a new ID).
    public var unknownDeliveryIDs: [String]

    /// Creates a result.
    public init(settled: Int, unknownDeliveryIDs: [String]) {
        self.settled = settled
        self.unknownDeliveryIDs = unknownDeliveryIDs
    }

    /// Reads `{"settled":N,"unknown":N,"results":[{"delivery_id":"...","outcome":"acked"|"nacked"|"unknown"}]}`;
    /// a body without `results` counts every one of `deliveryIDs` as settled.
    init(json: ResponseJSON, deliveryIDs: [String]) throws(HeraldClientError) {
        guard let results = try json.optionalMember("results") else {
            self.init(settled: deliveryIDs.count, unknownDeliveryIDs: [])
            return
        }
        let entries = try results.elements()
        var unknown: [String] = []
        for entry in entries where try entry.member("outcome").string() == "unknown" {
            unknown.append(try entry.member("delivery_id").string())
        }
        let reported = try json.optionalMember("settled")?.int()
        let settled = reported ?? entries.count - unknown.count
        self.init(settled: settled, unknownDeliveryIDs: unknown)
    }
}
