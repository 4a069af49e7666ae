import Foundation
import Herald

/// The durable log cases: appends, following, consumer groups, and end-to-end latency.
struct LogSuite {
    /// The store under test, opened fresh for each case.
    let makeStore: @Sendable () async throws -> any EventLog & ConsumerGroupStore
    /// Closes a store made by `makeStore`.
    let closeStore: @Sendable (any EventLog & ConsumerGroupStore) async throws -> Void
    /// Opens another node on the same database as the given store (a second process would), for the
    /// latency case's consumer; closed with `closeStore`. `nil` when the store has no other nodes: the
    /// consumer then polls the appending store itself.
    var makeOtherNode:
        (@Sendable (any EventLog & ConsumerGroupStore) async throws -> any EventLog & ConsumerGroupStore)? = nil
    /// The `impl` column.
    let impl: String
    /// Events per throughput case.
    let events: Int
    /// How long the latency case publishes at 1,000 events/s.
    let latencyDuration: Duration
    /// Events stored before the group of `group_consume_backlog` is created.
    var backlogEvents = 1_000_000

    /// A 256-byte JSON payload, the same for every event.
    static let payload: Data = {
        let filler = String(repeating: "x", count: 256 - #"{"order":"o-000000","note":""}"#.utf8.count)
        return Data(#"{"order":"o-000000","note":"\#(filler)"}"#.utf8)
    }()

    static func makeEvents(_ count: Int, prefix: String = "e") -> [Event] {
        (0..<count).map { index in
            var event = Event(
                id: "\(prefix)-\(index)", source: "/bench", type: "orders.placed",
                dataContentType: "application/json", data: payload)
            event.partitionKey = "key-\(index % 64)"
            return event
        }
    }

    func run(cases: Set<String>?, report: (BenchResult) -> Void) async throws {
        func wanted(_ name: String) -> Bool { cases?.contains(name) ?? true }
        if wanted("append_batch100") { report(try await appendBatches()) }
        if wanted("append_batch100_x16") { report(try await appendBatchesConcurrently()) }
        if wanted("append_concurrent64") { report(try await appendConcurrently()) }
        if wanted("append_nodes4_x16"), let makeOtherNode { report(try await appendFromNodes(4, makeOtherNode)) }
        if wanted("follow") { report(try await follow()) }
        if wanted("group_consume") { report(try await consume(consumers: 1, name: "group_consume")) }
        if wanted("group_consume4") { report(try await consume(consumers: 4, name: "group_consume4")) }
        if wanted("router_durable") { report(try await consumeThroughTheRouter()) }
        if wanted("group_consume_backlog") { for result in try await consumeOverBacklog() { report(result) } }
        if wanted("groups50") { report(try await consumeFromManyGroups(50)) }
        if wanted("e2e_latency") { report(try await endToEndLatency()) }
    }

    private func result(_ name: String, events: Int, elapsed: Duration) -> BenchResult {
        BenchResult(
            suite: "log", case: name, impl: impl, eventsPerSecond: Double(events) / elapsed.inSeconds,
            p50Microseconds: 0, p99Microseconds: 0)
    }

    private func withStore<T>(_ body: (any EventLog & ConsumerGroupStore) async throws -> T) async throws -> T {
        let store = try await makeStore()
        do {
            let value = try await body(store)
            try await closeStore(store)
            return value
        } catch {
            try? await closeStore(store)
            throw error
        }
    }

    /// Appends in batches of 100.
    func appendBatches() async throws -> BenchResult {
        let events = Self.makeEvents(self.events)
        return try await withStore { store in
            let elapsed = try await ContinuousClock().measure {
                var start = 0
                while start < events.count {
                    let end = min(start + 100, events.count)
                    _ = try await store.append(Array(events[start..<end]), expecting: nil)
                    start = end
                }
            }
            return result("append_batch100", events: events.count, elapsed: elapsed)
        }
    }

    /// 16 tasks, each appending batches of 100, one batch at a time.
    func appendBatchesConcurrently() async throws -> BenchResult {
        let events = Self.makeEvents(self.events)
        let batches = stride(from: 0, to: events.count, by: 100).map { Array(events[$0..<min($0 + 100, events.count)]) }
        return try await withStore { store in
            let elapsed = try await ContinuousClock().measure {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for task in 0..<16 {
                        group.addTask {
                            for index in stride(from: task, to: batches.count, by: 16) {
                                _ = try await store.append(batches[index], expecting: nil)
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            return result("append_batch100_x16", events: events.count, elapsed: elapsed)
        }
    }

    /// 16 tasks spread over `count` nodes of one database, each appending batches of 100, one batch at a
    /// time: what appends across nodes reach together.
    func appendFromNodes(
        _ count: Int,
        _ makeOtherNode: @Sendable (any EventLog & ConsumerGroupStore) async throws -> any EventLog & ConsumerGroupStore
    ) async throws -> BenchResult {
        let events = Self.makeEvents(self.events)
        let batches = stride(from: 0, to: events.count, by: 100).map { Array(events[$0..<min($0 + 100, events.count)]) }
        return try await withStore { store in
            var nodes = [store]
            do {
                for _ in 1..<count { nodes.append(try await makeOtherNode(store)) }
                let elapsed = try await ContinuousClock().measure {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for task in 0..<16 {
                            let node = nodes[task % nodes.count]
                            group.addTask {
                                for index in stride(from: task, to: batches.count, by: 16) {
                                    _ = try await node.append(batches[index], expecting: nil)
                                }
                            }
                        }
                        try await group.waitForAll()
                    }
                }
                for node in nodes.dropFirst() { try await closeStore(node) }
                return result("append_nodes\(count)_x16", events: events.count, elapsed: elapsed)
            } catch {
                for node in nodes.dropFirst() { try? await closeStore(node) }
                throw error
            }
        }
    }

    /// 64 tasks, each appending one event at a time.
    func appendConcurrently() async throws -> BenchResult {
        let count = max(64, self.events / 5)
        let events = Self.makeEvents(count)
        return try await withStore { store in
            let elapsed = try await ContinuousClock().measure {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for task in 0..<64 {
                        group.addTask {
                            var index = task
                            while index < events.count {
                                _ = try await store.append(events[index])
                                index += 64
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            return result("append_concurrent64", events: count, elapsed: elapsed)
        }
    }

    /// A follower reading every stored event from the start.
    func follow() async throws -> BenchResult {
        let events = Self.makeEvents(self.events)
        return try await withStore { store in
            try await appendAll(events, to: store)
            let elapsed = try await ContinuousClock().measure {
                var seen = 0
                for try await _ in store.follow(after: 0) {
                    seen += 1
                    if seen == events.count { break }
                }
            }
            return result("follow", events: events.count, elapsed: elapsed)
        }
    }

    /// Consumers of one group polling 100 at a time, each poll acknowledging the consumer's last batch.
    func consume(consumers: Int, name: String) async throws -> BenchResult {
        let events = Self.makeEvents(self.events)
        return try await withStore { store in
            try await appendAll(events, to: store)
            _ = try await store.createGroup(
                ConsumerGroupConfiguration(name: "bench", topic: try TopicPattern("orders.>")))
            let elapsed = try await ContinuousClock().measure {
                try await Self.consume(events.count, from: store, group: "bench", consumers: consumers)
            }
            return result(name, events: events.count, elapsed: elapsed)
        }
    }

    /// A ``Router`` handler that counts events, on a ``GroupConsumer`` of the store's group with 8 handlers at
    /// once: the engine's cost over `group_consume`'s bare polls. The time ends when the consumer has
    /// stopped, so that the last acknowledgements are in it.
    func consumeThroughTheRouter() async throws -> BenchResult {
        let events = Self.makeEvents(self.events)
        return try await withStore { store in
            try await appendAll(events, to: store)
            let handled = DeliveryCounter()
            let router = Router()
            let consumer = try router.addHandler(
                "bench",
                consuming: ConsumerGroupSource(
                    store: store,
                    configuration: ConsumerGroupConfiguration(name: "bench", topic: try TopicPattern("orders.>"))),
                options: ConsumerOptions(pollWait: .milliseconds(100), concurrency: 8)
            ) { _, _ in
                handled.add(1)
                return []
            }
            let elapsed = try await ContinuousClock().measure {
                let running = Task { try await consumer.run() }
                while handled.value < events.count { try await Task.sleep(for: .milliseconds(1)) }
                consumer.stop()
                try await running.value
            }
            guard try await store.groupInfo(named: "bench")?.lag == 0 else {
                throw BenchServerError(
                    description: "router_durable left events unacknowledged after its consumer stopped")
            }
            return result("router_durable", events: events.count, elapsed: elapsed)
        }
    }

    /// `consumers` tasks polling `group` 100 at a time until `count` events arrived, each poll acknowledging
    /// the task's previous batch; the last batches are acknowledged on their own.
    static func consume(
        _ count: Int, from store: any EventLog & ConsumerGroupStore, group: String, consumers: Int
    ) async throws {
        let consumed = DeliveryCounter()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for _ in 0..<consumers {
                tasks.addTask {
                    var unacknowledged: [String] = []
                    while consumed.value < count {
                        let result = try await store.poll(
                            group: group, max: 100, wait: .milliseconds(100), acknowledging: unacknowledged)
                        unacknowledged = result.deliveries.map(\.id)
                        consumed.add(result.deliveries.count)
                    }
                    if !unacknowledged.isEmpty { _ = try await store.ack(group: group, deliveryIDs: unacknowledged) }
                }
            }
            try await tasks.waitForAll()
        }
    }

    /// A group created over ``backlogEvents`` stored events: how long its first poll takes (`p50` and `p99`
    /// are that one time), then how fast one consumer takes the first ``events`` of them.
    func consumeOverBacklog() async throws -> [BenchResult] {
        let name = "group_consume_backlog"
        return try await withStore { store in
            var start = 0
            while start < backlogEvents {
                let end = min(start + 500, backlogEvents)
                let batch = (start..<end).map { index in
                    var event = Event(
                        id: "b-\(index)", source: "/bench", type: "orders.placed", dataContentType: "application/json",
                        data: Self.payload)
                    event.partitionKey = "key-\(index % 64)"
                    return event
                }
                _ = try await store.append(batch, expecting: nil)
                start = end
            }
            _ = try await store.createGroup(
                ConsumerGroupConfiguration(name: "late", topic: try TopicPattern("orders.>")))
            let clock = ContinuousClock()
            var first: [Delivery] = []
            let firstPoll = try await clock.measure {
                first = try await store.poll(group: "late", max: 100, wait: .zero)
            }
            _ = try await store.ack(group: "late", deliveryIDs: first.map(\.id))
            let count = min(events, backlogEvents - first.count)
            let elapsed = try await clock.measure {
                try await Self.consume(count, from: store, group: "late", consumers: 1)
            }
            let microseconds = firstPoll.inSeconds * 1_000_000
            return [
                BenchResult(
                    suite: "log", case: "\(name)_first_poll", impl: impl, eventsPerSecond: 0,
                    p50Microseconds: microseconds, p99Microseconds: microseconds),
                result(name, events: count, elapsed: elapsed),
            ]
        }
    }

    /// `groups` groups on one topic, one consumer each, every group taking every one of ``events``/10
    /// events: the total deliveries per second of all groups together.
    func consumeFromManyGroups(_ groups: Int) async throws -> BenchResult {
        let events = Self.makeEvents(max(100, self.events / 10))
        return try await withStore { store in
            try await appendAll(events, to: store)
            for index in 0..<groups {
                _ = try await store.createGroup(
                    ConsumerGroupConfiguration(name: "many-\(index)", topic: try TopicPattern("orders.>")))
            }
            let elapsed = try await ContinuousClock().measure {
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    for index in 0..<groups {
                        tasks.addTask {
                            try await Self.consume(events.count, from: store, group: "many-\(index)", consumers: 1)
                        }
                    }
                    try await tasks.waitForAll()
                }
            }
            return result("groups\(groups)", events: events.count * groups, elapsed: elapsed)
        }
    }

    /// Appends at 1,000 events/s; a group consumer (on another node when ``makeOtherNode`` is set) records
    /// how long after the append began it received each event (so the figure includes the append itself).
    func endToEndLatency() async throws -> BenchResult {
        try await withStore { store in
            guard let makeOtherNode else { return try await endToEndLatency(appendingTo: store, consumingFrom: store) }
            let consumerNode = try await makeOtherNode(store)
            do {
                let result = try await endToEndLatency(appendingTo: store, consumingFrom: consumerNode)
                try await closeStore(consumerNode)
                return result
            } catch {
                try? await closeStore(consumerNode)
                throw error
            }
        }
    }

    private func endToEndLatency(
        appendingTo store: any EventLog & ConsumerGroupStore,
        consumingFrom consumerNode: any EventLog & ConsumerGroupStore
    ) async throws -> BenchResult {
        let count = max(1, Int(1_000 * latencyDuration.inSeconds))
        let events = Self.makeEvents(count, prefix: "lat")
        let samples = LatencySamples(events: count, deliveriesPerEvent: 1)
        _ = try await consumerNode.createGroup(
            ConsumerGroupConfiguration(name: "latency", topic: try TopicPattern("orders.>"), start: .latest))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                var received = 0
                var unacknowledged: [String] = []
                while received < count {
                    let deliveries = try await consumerNode.poll(
                        group: "latency", max: 100, wait: .seconds(1), acknowledging: unacknowledged
                    ).deliveries
                    for delivery in deliveries {
                        samples.markReceived(Int(delivery.event.id.dropFirst(4))!)
                    }
                    received += deliveries.count
                    unacknowledged = deliveries.map(\.id)
                }
            }
            group.addTask {
                for index in 0..<count {
                    let due = UInt64(index) * 1_000_000
                    while samples.now() < due { try await Task.sleep(for: .microseconds(50)) }
                    samples.markSent(index)
                    _ = try await store.append(events[index])
                }
            }
            try await group.waitForAll()
        }
        let (p50, p99) = samples.percentiles()
        return BenchResult(
            suite: "log", case: "e2e_latency", impl: impl, eventsPerSecond: 1_000,
            p50Microseconds: p50, p99Microseconds: p99)
    }

    private func appendAll(_ events: [Event], to store: any EventLog & ConsumerGroupStore) async throws {
        var start = 0
        while start < events.count {
            let end = min(start + 500, events.count)
            _ = try await store.append(Array(events[start..<end]), expecting: nil)
            start = end
        }
    }
}
