import Foundation
import Herald
import HeraldPostgres
import HeraldTesting
import PostgresNIO
import Synchronization
import Testing

/// Several stores on one schema, as several Herald nodes on one database would be.
@Suite(.enabled(if: TestDatabase.isEnabled, "set HERALD_TEST_POSTGRES_URL, or run ./scripts/test"))
struct MultiNodeStoreTests {
    /// Connects `count` stores ("nodes") to one new schema, runs `body`, then closes them and drops it.
    func withNodes(
        _ count: Int,
        fallbackPollInterval: Duration = .seconds(2),
        visibilityWait: Duration = .seconds(5),
        _ body: ([PostgresEventStore]) async throws -> Void
    ) async throws {
        let schema = TestDatabase.uniqueSchema("nodes")
        let url = try TestDatabase.requireURL()
        var nodes: [PostgresEventStore] = []
        do {
            for _ in 0..<count {
                nodes.append(
                    try await PostgresEventStore.connect(
                        url: url,
                        configuration: .init(
                            schema: schema, maximumConnections: 6, connectTimeout: testHangLimit,
                            fallbackPollInterval: fallbackPollInterval, visibilityWait: visibilityWait)
                    )
                )
            }
            try await body(nodes)
        } catch {
            for node in nodes { try? await node.close() }
            try? await TestDatabase.dropSchema(schema)
            throw error
        }
        for node in nodes { try await node.close() }
        try await TestDatabase.dropSchema(schema)
    }

    /// The proof that no reader skips an event: eight appending connections on three nodes take sequences
    /// and then wait a random while before committing (one transaction in seven rolls back), and each node's
    /// group commit appends meanwhile, so that a later sequence would commit before an earlier one if nothing
    /// ordered the commits. A follower on a fourth node and a consumer group polled on a fifth must each see
    /// every committed event exactly once, in sequence order.
    @Test func readersOnOtherNodesSeeEveryEventOnceInOrderWhileTransactionsCommitLate() async throws {
        struct RolledBack: Error {}
        try await withNodes(5) { nodes in
            let writers = Array(nodes.prefix(3))
            let (follower, consumer) = (nodes[3], nodes[4])
            let connections = 8
            let transactionsPerConnection = 20
            let appendsPerNode = 30
            _ = try await consumer.createGroup(
                ConsumerGroupConfiguration(
                    name: "no-skip", topic: try TopicPattern("test.>"), ackTimeout: .seconds(3_600))
            )
            let committed = Locked<Set<String>>([])
            let following = Task {
                var seen: [StoredEvent] = []
                for try await stored in follower.follow() {
                    seen.append(stored)
                    if stored.event.type == "test.done" { break }
                }
                return seen
            }
            let consuming = Task {
                var delivered: [StoredEvent] = []
                while !delivered.contains(where: { $0.event.type == "test.done" }) {
                    let deliveries = try await consumer.poll(group: "no-skip", max: 50, wait: .seconds(1))
                    delivered += deliveries.map(\.stored)
                    _ = try await consumer.ack(group: "no-skip", deliveryIDs: deliveries.map(\.id))
                }
                return delivered
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for connection in 0..<connections {
                    let writer = writers[connection % writers.count]
                    group.addTask {
                        for n in 0..<transactionsPerConnection {
                            let ids = (0...(n % 2)).map { "c\(connection)-\(n)-\($0)" }
                            do {
                                try await writer.transaction { tx in
                                    for id in ids {
                                        try await tx.publish(Event(id: id, source: "/no-skip", type: "test.item"))
                                    }
                                    // The delay sits between taking sequences and committing them.
                                    try await tx.query("SELECT pg_sleep(\(Double.random(in: 0...0.004)))")
                                    if n % 7 == 3 { throw RolledBack() }
                                }
                                committed.withLock { $0.formUnion(ids) }
                            } catch is RolledBack {}
                        }
                    }
                }
                for (index, writer) in writers.enumerated() {
                    group.addTask {
                        for n in 0..<appendsPerNode {
                            let id = "a\(index)-\(n)"
                            _ = try await writer.append(Event(id: id, source: "/no-skip", type: "test.item"))
                            committed.withLock { _ = $0.insert(id) }
                        }
                    }
                }
                try await group.waitForAll()
            }
            _ = try await writers[0].append(Event(id: "done", source: "/no-skip", type: "test.done"))
            let committedPerConnection = (0..<transactionsPerConnection).filter { $0 % 7 != 3 }.map { $0 % 2 + 1 }
                .reduce(0, +)
            #expect(
                committed.withLock(\.count) == writers.count * appendsPerNode + connections * committedPerConnection)
            for (reader, read) in [
                ("the follower", try await withTimeLimit(testHangLimit, "the follower") { try await following.value }),
                (
                    "the group",
                    try await withTimeLimit(testHangLimit, "the group's consumer") { try await consuming.value }
                ),
            ] {
                let items = read.filter { $0.event.type == "test.item" }
                #expect(Set(items.map(\.event.id)) == committed.withLock { $0 }, "\(reader) saw every committed event")
                #expect(items.count == Set(items.map(\.event.id)).count, "\(reader) saw no event twice")
                #expect(zip(read, read.dropFirst()).allSatisfy { $0.sequence < $1.sequence }, "\(reader): in order")
            }
        }
    }

    /// A node waiting for events is woken by another node's append through NOTIFY, not by its fallback check
    /// (an hour here).
    @Test func anAppendOnOneNodeWakesAWaiterOnAnother() async throws {
        try await withNodes(2, fallbackPollInterval: .seconds(3_600)) { nodes in
            let waiting = Task { try await nodes[1].waitForEvents(after: 0, timeout: .seconds(60)) }
            // Let the waiter reach its wait: it re-reads the head after every wake, so an append that lands
            // before it waits is found at once, and one after it must come by notification.
            _ = try await nodes[0].append(Event(id: "1", source: "/wake", type: "test.item"))
            let woke = try await withTimeLimit(testHangLimit, "the waiter on the other node to wake") {
                try await waiting.value
            }
            #expect(woke)
            let second = Task { try await nodes[1].waitForEvents(after: 1, timeout: .seconds(60)) }
            _ = try await nodes[0].append(Event(id: "2", source: "/wake", type: "test.item"))
            #expect(try await withTimeLimit(testHangLimit, "the second wake") { try await second.value })
        }
    }

    /// A node remembers the groups it polled, to take in one statement; a group deleted on another node, or
    /// deleted and created again there with other settings, is what the next poll on the first node sees.
    @Test func aGroupDeletedOrCreatedAgainOnAnotherNodeIsTheOneAPollSees() async throws {
        try await withNodes(2) { nodes in
            let topic = try TopicPattern("test.>")
            _ = try await nodes[0].createGroup(ConsumerGroupConfiguration(name: "moving", topic: topic))
            _ = try await nodes[0].append(Event(id: "1", source: "/moving", type: "test.item"))
            #expect(try await nodes[0].poll(group: "moving", max: 10, wait: .zero).map(\.event.id) == ["1"])

            #expect(try await nodes[1].deleteGroup(named: "moving"))
            await #expect(throws: EventLogError.self) {
                try await nodes[0].poll(group: "moving", max: 10, wait: .zero)
            }
            // Created again, from the latest event on: the first node must not poll the old group's position.
            _ = try await nodes[1].createGroup(
                ConsumerGroupConfiguration(name: "moving", topic: topic, start: .latest, maxAttempts: 2))
            _ = try await nodes[1].append(Event(id: "2", source: "/moving", type: "test.item"))
            let again = try await nodes[0].poll(group: "moving", max: 10, wait: .zero)
            #expect(again.map(\.event.id) == ["2"])
            #expect(try await nodes[0].ack(group: "moving", deliveryIDs: again.map(\.id)) == 1)
            #expect(try await nodes[1].groupInfo(named: "moving")?.configuration.maxAttempts == 2)
        }
    }

    /// An event scheduled on one node (`deliverat`) reaches a long poll on another when it comes due, although
    /// the polling node never reads the log otherwise and its fallback check is an hour away.
    @Test func anEventScheduledOnOneNodeIsDeliveredByAPollOnAnother() async throws {
        try await withNodes(2, fallbackPollInterval: .seconds(3_600)) { nodes in
            _ = try await nodes[1].createGroup(ConsumerGroupConfiguration(name: "later", topic: try TopicPattern(">")))
            let polling = Task { try await nodes[1].poll(group: "later", max: 10, wait: .seconds(600)) }
            var event = Event(id: "delayed", source: "/delayed", type: "test.item")
            // Far enough ahead that the append, on a loaded machine, still comes before it is due.
            event.deliverAt = Date().addingTimeInterval(3)
            #expect(try await nodes[0].append(event).outcome == .scheduled)
            let deliveries = try await withTimeLimit(testHangLimit, "the delayed event on the other node") {
                try await polling.value
            }
            #expect(deliveries.map(\.event.id) == ["delayed"])
            #expect(Date() >= event.deliverAt!, "not before its time")
        }
    }

    /// One consumer group polled through three nodes at once: each event reaches one consumer, once.
    @Test func aGroupSharedByThreeNodesDeliversEveryEventOnce() async throws {
        try await withNodes(3) { nodes in
            _ = try await nodes[0].createGroup(
                ConsumerGroupConfiguration(
                    name: "workers", topic: try TopicPattern("orders.>"), ackTimeout: .seconds(3_600))
            )
            #expect(
                try await nodes[1].createGroup(
                    ConsumerGroupConfiguration(
                        name: "workers", topic: try TopicPattern("orders.>"), ackTimeout: .seconds(3_600))
                ) == false,
                "the group exists for every node"
            )
            let total = 300
            for start in stride(from: 0, to: total, by: 50) {
                _ = try await nodes[start / 50 % 3].append(
                    (start..<start + 50).map { Event(id: "o-\($0)", source: "/orders", type: "orders.placed") }
                )
            }
            let received = Locked<[Int64]>([])
            try await withThrowingTaskGroup(of: Void.self) { group in
                for node in nodes {
                    group.addTask {
                        let deadline = ContinuousClock.now + testHangLimit
                        while received.withLock({ $0.count }) < total, ContinuousClock.now < deadline {
                            let deliveries = try await node.poll(group: "workers", max: 7, wait: .milliseconds(50))
                            received.withLock { $0 += deliveries.map(\.sequence) }
                            _ = try await node.ack(group: "workers", deliveryIDs: deliveries.map(\.id))
                        }
                    }
                }
                try await group.waitForAll()
            }
            let sequences = received.withLock { $0 }
            #expect(sequences.count == total, "no event twice")
            #expect(Set(sequences).count == total, "every event")
            #expect(try await nodes[2].groupInfo(named: "workers")?.lag == 0)
        }
    }

    /// An ordered group polled through two nodes never has two events of one key in flight, and hands each
    /// key's events out in sequence order.
    @Test func anOrderedGroupKeepsEachKeysOrderAcrossNodes() async throws {
        try await withNodes(2) { nodes in
            _ = try await nodes[0].createGroup(
                // Leases that outlast any stall of a loaded machine: an expired one would put a key in flight twice.
                ConsumerGroupConfiguration(
                    name: "ordered", topic: try TopicPattern(">"), ackTimeout: .seconds(3_600), ordered: true)
            )
            let keys = ["a", "b", "c", "d"]
            var events: [Event] = []
            for n in 0..<120 {
                var event = Event(id: "e-\(n)", source: "/ordered", type: "test.item")
                event.partitionKey = keys[n % keys.count]
                events.append(event)
            }
            _ = try await nodes[1].append(events)
            let total = events.count
            let inFlight = Locked<Set<String>>([])
            let order = Locked<[String: [Int64]]>([:])
            let overlaps = Locked(0)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for node in nodes {
                    group.addTask {
                        let deadline = ContinuousClock.now + testHangLimit
                        while order.withLock({ $0.values.reduce(0) { $0 + $1.count } }) < total,
                            ContinuousClock.now < deadline
                        {
                            let deliveries = try await node.poll(group: "ordered", max: 3, wait: .milliseconds(50))
                            for delivery in deliveries {
                                let key = delivery.event.partitionKey ?? ""
                                let fresh = inFlight.withLock { $0.insert(key).inserted }
                                if !fresh { overlaps.withLock { $0 += 1 } }
                                order.withLock { $0[key, default: []].append(delivery.sequence) }
                            }
                            for delivery in deliveries {
                                inFlight.withLock { _ = $0.remove(delivery.event.partitionKey ?? "") }
                                _ = try await node.ack(group: "ordered", deliveryIDs: [delivery.id])
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(overlaps.withLock { $0 } == 0, "two events of one key were in flight at once")
            for (key, sequences) in order.withLock({ $0 }) {
                #expect(sequences == sequences.sorted(), "key \(key) out of order")
                #expect(sequences.count == events.count / keys.count)
            }
        }
    }

    /// Nodes that start together on a new schema all migrate it safely.
    @Test func nodesStartingAtOnceShareOneSchema() async throws {
        let schema = TestDatabase.uniqueSchema("migrate")
        let url = try TestDatabase.requireURL()
        let stores = try await withThrowingTaskGroup(of: PostgresEventStore.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    try await PostgresEventStore.connect(
                        url: url,
                        configuration: .init(schema: schema, maximumConnections: 2, connectTimeout: testHangLimit))
                }
            }
            var stores: [PostgresEventStore] = []
            for try await store in group { stores.append(store) }
            return stores
        }
        let appended = try await stores[0].append(Event(id: "1", source: "/m", type: "test.item"))
        #expect(.stored(sequence: try await stores[3].lastSequence()) == appended.outcome)
        for store in stores { try await store.close() }
        try await TestDatabase.dropSchema(schema)
    }
}
