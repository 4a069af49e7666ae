import AsyncHTTPClient
import Foundation
import Herald
import HeraldTesting
import NIOCore
import NIOFoundationEssentialsCompat
import NIOHTTP1
import Synchronization
import Testing

/// Three `herald serve` processes on one PostgreSQL database: each streams every event published on any of
/// them, one consumer group polled through all three delivers every event once, and when one node is killed
/// (SIGKILL) mid-run the others still deliver every event, repeating only what the dead node had leased.
@Suite(
    .serialized,
    .enabled(
        if: ProcessTestDatabase.isEnabled,
        "needs PostgreSQL: set HERALD_TEST_POSTGRES_URL (./scripts/test starts a throwaway one)"))
struct MultiNodeProcessTests {
    static let nodeCount = 3
    static let eventsPerPhase = 300
    static let publisherCount = 6
    static let consumerCount = 6
    static let group = "multi"
    /// The group's lease: short enough that what the killed node leased is redelivered soon, long enough that a
    /// consumer on a loaded machine (the suite runs process tests side by side) acks before it runs out.
    static let ackTimeoutMilliseconds = 10_000
    /// The node the second phase kills.
    static let victim = 1

    @Test(.heavy, .timeLimit(.minutes(10)))
    func threeNodesShareStreamsAndAConsumerGroupAndSurviveAKilledNode() async throws {
        let schema = ProcessTestDatabase.uniqueSchema("multinode")
        let storeURL = try ProcessTestDatabase.storeURL(schema: schema)
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 32)
        let http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        var servers: [ServeProcess] = []
        do {
            servers = try await Self.startNodes(storeURL: storeURL)
            try await Self.exercise(Nodes(servers), api: NodeAPI(http: http))
        } catch {
            await Self.cleanUp(servers, http: http, schema: schema)
            throw error
        }
        await Self.cleanUp(servers, http: http, schema: schema)
    }

    /// Starts the nodes at once, as a cluster's nodes may: they create the schema concurrently.
    static func startNodes(storeURL: String) async throws -> [ServeProcess] {
        let started = await withTaskGroup(of: Result<ServeProcess, any Error>.self) { group in
            for _ in 0..<nodeCount {
                group.addTask {
                    do {
                        return .success(try await ServeProcess(["--store", storeURL]))
                    } catch {
                        return .failure(error)
                    }
                }
            }
            var results: [Result<ServeProcess, any Error>] = []
            for await result in group { results.append(result) }
            return results
        }
        let servers = started.compactMap { try? $0.get() }
        for result in started {
            if case .failure(let error) = result {
                for server in servers { server.killNow() }
                throw error
            }
        }
        return servers
    }

    static func cleanUp(_ servers: [ServeProcess], http: HTTPClient, schema: String) async {
        for server in servers { _ = try? await server.stop(signal: SIGKILL, timeout: .seconds(20)) }
        try? await http.shutdown()
        do {
            try await ProcessTestDatabase.dropSchema(schema)
        } catch {
            Issue.record("could not drop the test schema \(schema): \(error)")
        }
    }

    static func exercise(_ nodes: Nodes, api: NodeAPI) async throws {
        let total = 2 * eventsPerPhase
        let streams = StreamRecords()
        let readers = nodes.servers.enumerated().map { index, server in
            Task { await readStream(of: server, node: index, upTo: total, into: streams) }
        }
        defer { for reader in readers { reader.cancel() } }
        // Subscribed from sequence 0, so a stream that connects late still gets every event.
        let created = try await api.createGroup(on: nodes.servers[0])
        #expect(created == 201)

        // Phase 1: publish round-robin to the three nodes while six consumers poll through all three.
        let firstIDs = (0..<eventsPerPhase).map { "one-\($0)" }
        let firstLedger = GroupLedger()
        let published = PublishedCount()
        try await withDeadline(.seconds(90), "phase 1: publishing and consuming through three nodes") {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                addPublishers(firstIDs, nodes: nodes, api: api, published: published, to: &tasks)
                addConsumers(expecting: Set(firstIDs), nodes: nodes, api: api, ledger: firstLedger, to: &tasks)
                try await tasks.waitForAll()
            }
        }
        try await waitUntil("every node's stream delivering the first \(eventsPerPhase) events", within: .seconds(30)) {
            await streams.have(atLeast: eventsPerPhase, nodes: Array(0..<nodeCount))
        }
        let first = await firstLedger.deliveries
        #expect(first.count == eventsPerPhase, "deliveries in phase 1: \(first.count)")
        #expect(Set(first.map(\.eventID)) == Set(firstIDs))
        #expect(first.allSatisfy { $0.acked && $0.attempt == 1 }, "a delivery was repeated or not acknowledged")

        // Phase 2: the same, and one node is killed once a third of the events is out, while a consumer holds
        // deliveries it leased through that node (so that they must be redelivered through the others).
        let secondIDs = (0..<eventsPerPhase).map { "two-\($0)" }
        let secondLedger = GroupLedger()
        published.reset()
        try await withDeadline(.seconds(120), "phase 2: consuming through the survivors of a killed node") {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                addPublishers(secondIDs, nodes: nodes, api: api, published: published, to: &tasks)
                addConsumers(expecting: Set(secondIDs), nodes: nodes, api: api, ledger: secondLedger, to: &tasks)
                tasks.addTask {
                    try await waitUntil("a third of phase 2 published and consumed", within: .seconds(60)) {
                        let consumed = await secondLedger.deliveries.count
                        return published.value >= eventsPerPhase / 3 && consumed >= 30
                    }
                    nodes.armKill()
                    try await waitUntil("a consumer holding leases of node \(victim)", within: .seconds(30)) {
                        nodes.victimLeasesHeld
                    }
                    let status = try await nodes.kill(victim)
                    #expect(status == 128 + SIGKILL)
                }
                try await tasks.waitForAll()
            }
        }

        // Every event acknowledged once; deliveries repeated only of what the dead node had leased.
        let second = await secondLedger.deliveries
        #expect(Set(second.map(\.eventID)) == Set(secondIDs))
        var ackedCount: [String: Int] = [:]
        for delivery in second where delivery.acked { ackedCount[delivery.eventID, default: 0] += 1 }
        #expect(ackedCount.values.allSatisfy { $0 == 1 }, "an event was delivered again after its ack")
        let unacknowledgedBySurvivors = second.filter { !$0.acked && $0.node != victim }
        #expect(
            unacknowledgedBySurvivors.isEmpty,
            "deliveries through survivors not acknowledged: \(unacknowledgedBySurvivors)")
        // The leases the dying consumer held are surely not acknowledged. (Another consumer's ack through the
        // dead node may have committed while its answer was lost; its events are not redelivered, and the
        // group's settling above is what shows that nothing was lost.)
        let heldByTheDead = Set(second.filter { $0.held && $0.node == victim }.map(\.eventID))
        #expect(!heldByTheDead.isEmpty, "the kill found no lease of the dead node to expire")
        let redelivered = second.filter { $0.attempt > 1 }
        #expect(
            Set(redelivered.map(\.eventID)).isSuperset(of: heldByTheDead),
            "leases of the dead node were not redelivered")

        // Each surviving node streamed all events, in sequence order, without a gap; the dead one a prefix.
        try await waitUntil("the survivors' streams delivering all \(total) events", within: .seconds(30)) {
            await streams.have(atLeast: total, nodes: (0..<nodeCount).filter { $0 != victim })
        }
        // Sequences on PostgreSQL increase without being consecutive: the log's own list is the reference.
        let allIDs = Set(firstIDs + secondIDs)
        let survivor = try #require((0..<nodeCount).first { $0 != victim })
        let log = await streams.events(node: survivor).map(\.sequence)
        #expect(log.count == total, "the log holds each published event once")
        #expect(zip(log, log.dropFirst()).allSatisfy { $0 < $1 }, "node \(survivor)'s stream is in sequence order")
        for node in 0..<nodeCount {
            let events = await streams.events(node: node)
            let sequences = events.map(\.sequence)
            if node == victim {
                #expect(sequences == Array(log.prefix(sequences.count)), "node \(node)'s stream skipped or repeated")
                #expect(sequences.count >= eventsPerPhase)
            } else {
                #expect(sequences == log, "node \(node)'s stream skipped or repeated")
                #expect(Set(events.map(\.id)) == allIDs, "node \(node)'s stream missed events")
            }
        }

        // The survivors shut down cleanly on SIGTERM, closing the store.
        for (index, server) in nodes.servers.enumerated() where index != victim {
            #expect(try await server.stop() == 0)
        }
    }

    /// Publishers that post each event, one request each, to node `n % 3` for the `n`th event, or to the next
    /// live node once that one is dead, retrying on a survivor what the dead node did not answer.
    static func addPublishers(
        _ ids: [String], nodes: Nodes, api: NodeAPI, published: PublishedCount,
        to tasks: inout ThrowingTaskGroup<Void, any Error>
    ) {
        for publisher in 0..<publisherCount {
            tasks.addTask {
                for number in stride(from: publisher, to: ids.count, by: publisherCount) {
                    let event = Event(id: ids[number], source: "/multi-node", type: "test.multi")
                    var preferred = number % nodeCount
                    while true {
                        let (index, server) = try nodes.live(preferring: preferred)
                        do {
                            let status = try await api.publish(event, to: server)
                            #expect(status == 201, "publishing \(event.id) to node \(index)")
                            break
                        } catch _ where nodes.isKilled(index) {  // The node died under the request.
                            preferred = index + 1
                        }
                    }
                    published.increment()
                }
            }
        }
    }

    /// Consumers that poll the group through their own node (or the next live one), acknowledging each
    /// delivery at once, until every expected event has come and the group has nothing left in flight.
    static func addConsumers(
        expecting expected: Set<String>, nodes: Nodes, api: NodeAPI, ledger: GroupLedger,
        to tasks: inout ThrowingTaskGroup<Void, any Error>
    ) {
        for consumer in 0..<consumerCount {
            tasks.addTask {
                var preferred = consumer % nodeCount
                var polls = 0
                while true {
                    let (index, server) = try nodes.live(preferring: preferred)
                    do {
                        if await ledger.hasReceived(expected),
                            try await api.groupIsSettled(on: server)
                        {
                            return
                        }
                        polls += 1
                        // Bounded: at most 500 ms each, far fewer than this within the phase's deadline.
                        guard polls < 2_000 else { throw ChildProcess.Failure(description: "too many polls") }
                        let deliveries = try await api.poll(on: server)
                        guard !deliveries.isEmpty else { continue }
                        await ledger.record(deliveries, node: index)
                        if nodes.holdsForTheKill(node: index) {
                            // This consumer's process dies with the node: its leases must expire and the
                            // events go to the others.
                            await ledger.markHeld(deliveries.map(\.deliveryID))
                            try await waitUntil("node \(index) killed", within: .seconds(30)) { nodes.isKilled(index) }
                        }
                        // Acknowledged through the node that leased them; if it died, they are redelivered.
                        await ledger.markAcked(try await api.ack(deliveries.map(\.deliveryID), on: server))
                    } catch _ where nodes.isKilled(index) {  // The node died under the request.
                        preferred = index + 1
                    }
                }
            }
        }
    }

    /// Reads `server`'s stream from the start until it has `total` events or ends.
    static func readStream(of server: ServeProcess, node: Int, upTo total: Int, into records: StreamRecords) async {
        guard var stream = try? await ServerSentEventsClient.connect(port: server.port, query: "after=0") else {
            return
        }
        while await records.count(node: node) < total {
            guard let frame = try? await stream.nextEvent(), let sequence = frame.sequence,
                let data = frame.data.flatMap({ $0.data(using: .utf8) }),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                let id = object["id"] as? String
            else { return }
            await records.append(node: node, sequence: sequence, id: id)
        }
    }
}

/// The three servers, and which one was killed.
final class Nodes: Sendable {
    let servers: [ServeProcess]
    private let killed = Atomic<Int>(-1)
    private let armed = Atomic<Bool>(false)
    private let holding = Atomic<Bool>(false)

    init(_ servers: [ServeProcess]) {
        self.servers = servers
    }

    /// Whether node `index` has been killed; set before the signal goes.
    func isKilled(_ index: Int) -> Bool { killed.load(ordering: .relaxed) == index }

    /// The first live node from `preferred` on (wrapping around).
    func live(preferring preferred: Int) throws -> (Int, ServeProcess) {
        for offset in 0..<servers.count {
            let index = (preferred + offset) % servers.count
            if !isKilled(index) { return (index, servers[index]) }
        }
        throw ChildProcess.Failure(description: "no live node")
    }

    /// From now on, the first consumer that leases deliveries through the victim holds them until the kill.
    func armKill() { armed.store(true, ordering: .relaxed) }

    /// Whether a consumer holds deliveries leased through the victim, waiting for the kill.
    var victimLeasesHeld: Bool { holding.load(ordering: .relaxed) }

    /// Whether the consumer that just leased deliveries through `node` is to hold them until the kill: once
    /// armed, for the first such consumer on the victim only.
    func holdsForTheKill(node: Int) -> Bool {
        guard node == MultiNodeProcessTests.victim, armed.load(ordering: .relaxed) else { return false }
        return holding.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged
    }

    /// Kills node `index` with SIGKILL and returns its exit status.
    func kill(_ index: Int) async throws -> Int32 {
        killed.store(index, ordering: .relaxed)
        return try await servers[index].stop(signal: SIGKILL)
    }
}

/// The HTTP calls the test makes of a node.
struct NodeAPI: Sendable {
    let http: HTTPClient

    /// A delivery as `POST /v1/groups/{name}/poll` lists it.
    struct PolledDelivery: Sendable {
        var deliveryID: String
        var eventID: String
        var attempt: Int
    }

    func publish(_ event: Event, to server: ServeProcess) async throws -> Int {
        let response = try await send(.POST, "/v1/events", to: server, body: event.jsonData(), json: false)
        return response.status
    }

    func createGroup(on server: ServeProcess) async throws -> Int {
        let body = #"{"topic":">","ack_timeout_ms":\#(MultiNodeProcessTests.ackTimeoutMilliseconds)}"#
        return try await send(.PUT, "/v1/groups/\(MultiNodeProcessTests.group)", to: server, body: Data(body.utf8))
            .status
    }

    func poll(on server: ServeProcess) async throws -> [PolledDelivery] {
        let response = try await send(
            .POST, "/v1/groups/\(MultiNodeProcessTests.group)/poll", to: server,
            body: Data(#"{"max":10,"wait_ms":500}"#.utf8))
        guard response.status == 200, let list = response.object?["deliveries"] as? [[String: Any]] else {
            throw ChildProcess.Failure(description: "poll answered \(response.status): \(response.text)")
        }
        return try list.map { item in
            guard let id = item["delivery_id"] as? String, let attempt = item["attempt"] as? Int,
                let eventID = (item["event"] as? [String: Any])?["id"] as? String
            else { throw ChildProcess.Failure(description: "a delivery without its fields: \(item)") }
            return PolledDelivery(deliveryID: id, eventID: eventID, attempt: attempt)
        }
    }

    /// Acknowledges `ids` through `server`; returns the ids acknowledged.
    func ack(_ ids: [String], on server: ServeProcess) async throws -> Set<String> {
        let body = try JSONSerialization.data(withJSONObject: ["delivery_ids": ids])
        let response = try await send(.POST, "/v1/groups/\(MultiNodeProcessTests.group)/ack", to: server, body: body)
        guard response.status == 200, let results = response.object?["results"] as? [[String: Any]] else {
            throw ChildProcess.Failure(description: "ack answered \(response.status): \(response.text)")
        }
        return Set(results.filter { $0["outcome"] as? String == "acked" }.compactMap { $0["delivery_id"] as? String })
    }

    /// Whether the group has nothing unacknowledged: no lag and nothing in flight.
    func groupIsSettled(on server: ServeProcess) async throws -> Bool {
        let response = try await send(.GET, "/v1/groups/\(MultiNodeProcessTests.group)", to: server, body: nil)
        guard response.status == 200, let object = response.object else {
            throw ChildProcess.Failure(description: "group status answered \(response.status): \(response.text)")
        }
        return object["lag"] as? Int == 0 && object["in_flight"] as? Int == 0
    }

    struct Answer {
        var status: Int
        var text: String
        var object: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
        }
    }

    private func send(
        _ method: HTTPMethod, _ path: String, to server: ServeProcess, body: Data?, json: Bool = true
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: server.baseURL + path)
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: json ? "application/json" : Event.jsonMediaType)
            request.body = .bytes(ByteBuffer(data: body))
        }
        let response = try await http.execute(request, timeout: .seconds(15))
        let text = String(buffer: try await response.body.collect(upTo: 4 << 20))
        return Answer(status: Int(response.status.code), text: text)
    }
}

/// Every delivery consumers got in one phase, with the node it came through and whether its ack took.
actor GroupLedger {
    struct Entry: Sendable, CustomStringConvertible {
        var deliveryID: String
        var eventID: String
        var attempt: Int
        var node: Int
        var acked = false
        /// Held, never acknowledged, by the consumer that dies with its node.
        var held = false

        var description: String { "\(eventID) attempt \(attempt) via node \(node)" }
    }

    private var entries: [String: Entry] = [:]
    private var order: [String] = []
    private var received = Set<String>()

    var deliveries: [Entry] { order.compactMap { entries[$0] } }

    func record(_ deliveries: [NodeAPI.PolledDelivery], node: Int) {
        for delivery in deliveries {
            entries[delivery.deliveryID] = Entry(
                deliveryID: delivery.deliveryID, eventID: delivery.eventID, attempt: delivery.attempt, node: node)
            order.append(delivery.deliveryID)
            received.insert(delivery.eventID)
        }
    }

    func markAcked(_ ids: Set<String>) {
        for id in ids { entries[id]?.acked = true }
    }

    func markHeld(_ ids: [String]) {
        for id in ids { entries[id]?.held = true }
    }

    func hasReceived(_ expected: Set<String>) -> Bool { expected.isSubset(of: received) }

}

/// The events each node's stream delivered, in order.
actor StreamRecords {
    private var records: [Int: [(sequence: Int64, id: String)]] = [:]

    func append(node: Int, sequence: Int64, id: String) {
        records[node, default: []].append((sequence, id))
    }

    func count(node: Int) -> Int { records[node]?.count ?? 0 }

    /// Whether each of `nodes` has delivered at least `count` events.
    func have(atLeast count: Int, nodes: [Int]) -> Bool {
        nodes.allSatisfy { (records[$0]?.count ?? 0) >= count }
    }

    func events(node: Int) -> [(sequence: Int64, id: String)] { records[node] ?? [] }
}

/// How many events the publishers of a phase have had accepted.
final class PublishedCount: Sendable {
    private let count = Atomic<Int>(0)

    var value: Int { count.load(ordering: .relaxed) }
    func increment() { count.add(1, ordering: .relaxed) }
    func reset() { count.store(0, ordering: .relaxed) }
}
