import Herald

/// A case of the bus suite: who subscribes to what, and who publishes which events.
struct BusScenario: Sendable {
    /// The `case` column: `1to1`, `fanout10`, `4to1`, `keyed`, `match10k`, `match10k_exact`.
    let name: String
    /// One exact topic per subscriber, as the peers subscribe.
    let subscriberTopics: [String]
    /// One topic pattern per subscriber, as Herald subscribes (wildcards where the case calls for them).
    let heraldPatterns: [String]
    /// How many tasks publish at once; the events are split between them.
    let publishers: Int
    /// Handler calls allowed at once per subscriber; events carry 64 partition keys when above 1.
    let concurrency: Int
    /// The type of the event with the given index.
    let eventType: @Sendable (Int) -> String

    /// How many handler calls one published event causes.
    let deliveriesPerEvent: Int

    /// Builds the events before any timing starts; each event's id is its index.
    func makeEvents(count: Int) -> [Event] {
        (0..<count).map { index in
            var event = Event(id: String(index), source: "/bench", type: eventType(index))
            if concurrency > 1 { event.partitionKey = "key-\(index % 64)" }
            return event
        }
    }

    init(
        name: String,
        subscriberTopics: [String],
        heraldPatterns: [String]? = nil,
        publishers: Int,
        concurrency: Int,
        deliveriesPerEvent: Int? = nil,
        eventType: @escaping @Sendable (Int) -> String
    ) {
        self.name = name
        self.deliveriesPerEvent = deliveriesPerEvent ?? subscriberTopics.count
        self.subscriberTopics = subscriberTopics
        self.heraldPatterns = heraldPatterns ?? subscriberTopics
        self.publishers = publishers
        self.concurrency = concurrency
        self.eventType = eventType
    }

    static let all: [BusScenario] = [
        BusScenario(
            name: "1to1", subscriberTopics: ["bench.event"], publishers: 1, concurrency: 1,
            eventType: { _ in "bench.event" }),
        BusScenario(
            name: "fanout10", subscriberTopics: Array(repeating: "bench.event", count: 10), publishers: 1,
            concurrency: 1, eventType: { _ in "bench.event" }),
        BusScenario(
            name: "4to1", subscriberTopics: ["bench.event"], publishers: 4, concurrency: 1,
            eventType: { _ in "bench.event" }),
        BusScenario(
            name: "keyed", subscriberTopics: ["bench.event"], publishers: 1, concurrency: 4,
            eventType: { _ in "bench.event" }),
        // 10,000 subscribers on distinct topics; each event goes to exactly one of them, cycling through
        // all 10,000 so that no single topic stays hot.
        BusScenario(
            name: "match10k", subscriberTopics: (0..<10_000).map { "tenant.\($0).orders" },
            heraldPatterns: (0..<10_000).map { "tenant.\($0).*" }, publishers: 1, concurrency: 1,
            deliveriesPerEvent: 1, eventType: { "tenant.\($0 % 10_000).orders" }),
        // The same, with Herald subscribing by the exact types, as the peers do.
        BusScenario(
            name: "match10k_exact", subscriberTopics: (0..<10_000).map { "tenant.\($0).orders" },
            publishers: 1, concurrency: 1, deliveriesPerEvent: 1, eventType: { "tenant.\($0 % 10_000).orders" }),
    ]
}
