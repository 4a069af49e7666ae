import AsyncHTTPClient
import Foundation
import Herald
import HeraldClient
import NIOCore
import NIOHTTP1

/// The cases of `herald-bench http`, each against a fresh server.
struct HTTPSuite {
    let path: String
    let duration: Duration
    let connections: Int
    let sseClients: Int

    /// At most this many requests per POST case, whatever the duration.
    static let maximumRequests = 2_000_000

    func run(cases selected: Set<String>?, report: (BenchResult) -> Void) async throws {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(
            // Every SSE client holds a connection for the whole case: the pool must have room for all of them
            // and the publisher's.
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(connections, sseClients + 8))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            for (name, body) in cases(client: client) where selected?.contains(name) ?? true {
                let server = try await BenchServer.start(path: path)
                do {
                    report(try await body(server))
                    try await server.stop()
                } catch {
                    try? await server.stop()
                    throw error
                }
            }
            try await client.shutdown()
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private func cases(client: HTTPClient) -> [(String, (BenchServer) async throws -> BenchResult)] {
        [
            ("post_single", { server in try await postSingle(client: client, server: server) }),
            ("post_batch100", { server in try await postBatch(client: client, server: server) }),
            ("sse_fanout", { server in try await sseFanOut(client: client, server: server) }),
            ("sse_latency", { server in try await sseLatency(client: client, server: server) }),
            ("group_consume4", { server in try await consumeWithClients(client: client, baseURL: server.baseURL) }),
            ("router_remote", { server in try await consumeThroughTheRouter(client: client, baseURL: server.baseURL) }),
        ]
    }

    /// The remote consume cases against a server running elsewhere (`--url`), such as `herald serve`.
    func runRemote(url: String, cases selected: Set<String>?, report: (BenchResult) -> Void) async throws {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            if selected?.contains("group_consume4") ?? true {
                report(try await consumeWithClients(client: client, baseURL: url))
            }
            if selected?.contains("router_remote") ?? true {
                report(try await consumeThroughTheRouter(client: client, baseURL: url))
            }
            try await client.shutdown()
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// Events stored before each remote consume case.
    static let consumeEvents = 100_000

    /// Publishes ``consumeEvents`` events of a topic new to the server, in batches of 500, and returns a group
    /// of that topic, named after it; the time this takes is not measured.
    private func prepareGroup(_ herald: HeraldClient) async throws -> ConsumerGroupConfiguration {
        let topic = "bench\(UInt32.random(in: 0...UInt32.max))"
        let events = (0..<Self.consumeEvents).map { index in
            var event = Event(
                id: "\(topic)-\(index)", source: "/bench", type: "\(topic).placed", dataContentType: "application/json",
                data: LogSuite.payload)
            event.partitionKey = "key-\(index % 64)"
            return event
        }
        var start = 0
        while start < events.count {
            _ = try await herald.publish(Array(events[start..<min(start + 500, events.count)]))
            start += 500
        }
        return ConsumerGroupConfiguration(name: topic, topic: try TopicPattern("\(topic).>"))
    }

    private func heraldClient(_ client: HTTPClient, _ baseURL: String) throws -> HeraldClient {
        guard let url = URL(string: baseURL) else {
            throw BenchServerError(description: "the server's address \(baseURL) is not a URL")
        }
        return HeraldClient(baseURL: url, httpClient: client)
    }

    /// 4 consumers with `HeraldClient`, each polling 100 at a time over its own connection with the last
    /// batch's acknowledgements riding on the poll: the baseline of `router_remote`.
    func consumeWithClients(client: HTTPClient, baseURL: String) async throws -> BenchResult {
        let herald = try heraldClient(client, baseURL)
        let configuration = try await prepareGroup(herald)
        try await herald.createGroup(configuration)
        let consumed = DeliveryCounter()
        let total = Self.consumeEvents
        let elapsed = try await ContinuousClock().measure {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                for _ in 0..<4 {
                    tasks.addTask {
                        var unacknowledged: [String] = []
                        while consumed.value < total {
                            let deliveries = try await herald.poll(
                                group: configuration.name, max: 100, wait: .milliseconds(100),
                                acknowledging: unacknowledged
                            ).deliveries
                            unacknowledged = deliveries.map(\.id)
                            consumed.add(deliveries.count)
                        }
                        if !unacknowledged.isEmpty {
                            try await herald.ack(group: configuration.name, deliveryIDs: unacknowledged)
                        }
                    }
                }
                try await tasks.waitForAll()
            }
        }
        return BenchResult(
            suite: "http", case: "group_consume4", impl: "herald-client",
            eventsPerSecond: Double(total) / elapsed.inSeconds, p50Microseconds: 0, p99Microseconds: 0)
    }

    /// A ``Router`` handler that counts events, on a remote group (`HeraldClient`'s `RemoteConsumerGroup`)
    /// with 8 handlers at once and 4 polls in flight (as the baseline has 4 connections); the time ends when
    /// the consumer has stopped, with its last acknowledgements.
    func consumeThroughTheRouter(client: HTTPClient, baseURL: String) async throws -> BenchResult {
        let herald = try heraldClient(client, baseURL)
        let configuration = try await prepareGroup(herald)
        let handled = DeliveryCounter()
        let total = Self.consumeEvents
        let consumer = try Router().addHandler(
            "bench", consuming: herald.consumerGroup(configuration),
            options: ConsumerOptions(pollWait: .milliseconds(100), concurrency: 8, pollsInFlight: 4)
        ) { _, _ in
            handled.add(1)
            return []
        }
        let elapsed = try await ContinuousClock().measure {
            let running = Task { try await consumer.run() }
            while handled.value < total { try await Task.sleep(for: .milliseconds(1)) }
            consumer.stop()
            try await running.value
        }
        guard try await herald.group(named: configuration.name).lag == 0 else {
            throw BenchServerError(description: "router_remote left events unacknowledged after its consumer stopped")
        }
        return BenchResult(
            suite: "http", case: "router_remote", impl: "herald-router",
            eventsPerSecond: Double(total) / elapsed.inSeconds, p50Microseconds: 0, p99Microseconds: 0)
    }

    /// Single-event structured POSTs from `connections` concurrent clients: requests per second.
    func postSingle(client: HTTPClient, server: BenchServer) async throws -> BenchResult {
        let measured = try await load(client: client, server: server, eventsPerRequest: 1) { worker, number in
            let event = Event(
                id: "w\(worker)-\(number)", source: "/bench", type: "bench.single", dataContentType: "application/json",
                data: Self.data)
            return (Event.jsonMediaType, ByteBuffer(bytes: event.jsonData()))
        }
        return measured.result(case: "post_single", impl: "herald-sqlite-\(connections)conn")
    }

    /// Batch POSTs of 100 events from `connections` concurrent clients: events per second.
    func postBatch(client: HTTPClient, server: BenchServer) async throws -> BenchResult {
        let measured = try await load(client: client, server: server, eventsPerRequest: 100) { worker, number in
            let events = (0..<100).map { index in
                Event(
                    id: "w\(worker)-\(number)-\(index)", source: "/bench", type: "bench.batch",
                    dataContentType: "application/json", data: Self.data)
            }
            return (Event.jsonBatchMediaType, ByteBuffer(bytes: Event.jsonBatchData(events)))
        }
        return measured.result(case: "post_batch100", impl: "herald-sqlite-\(connections)conn")
    }

    /// Events of the fan-out case, published in batches of 100.
    static let fanOutEvents = 20_000

    /// `sseClients` streams of `bench.>`; publishes ``fanOutEvents`` events in batches and measures deliveries
    /// per second summed over the clients, until every client has every event.
    func sseFanOut(client: HTTPClient, server: BenchServer) async throws -> BenchResult {
        let total = Self.fanOutEvents
        let (connected, connectedContinuation) = AsyncStream<Void>.makeStream()
        let start = ContinuousClock.now
        return try await withThrowingTaskGroup(of: Duration?.self) { group in
            for _ in 0..<sseClients {
                group.addTask {
                    let response = try await client.execute(
                        HTTPClientRequest(url: "\(server.baseURL)/v1/stream?topic=bench.>&after=0"),
                        timeout: .seconds(120))
                    guard response.status == .ok else {
                        throw BenchServerError(description: "GET /v1/stream answered \(response.status)")
                    }
                    connectedContinuation.yield()
                    var received = 0
                    try await SSEReader(response: response).forEachData { _ in
                        received += 1
                        return received < total
                    }
                    return received == total ? ContinuousClock.now - start : nil
                }
            }
            var waiting = sseClients
            for await _ in connected {
                waiting -= 1
                if waiting == 0 { break }
            }
            let publishStart = ContinuousClock.now
            for batch in 0..<(total / 100) {
                let events = (0..<100).map { index in
                    Event(
                        id: "f\(batch)-\(index)", source: "/bench", type: "bench.fanout",
                        dataContentType: "application/json", data: Self.data)
                }
                try await post(client: client, server: server, batch: events)
            }
            var slowest = Duration.zero
            for try await finished in group {
                guard let finished else { throw BenchServerError(description: "an SSE client missed events") }
                slowest = max(slowest, finished)
            }
            let elapsed = slowest - (publishStart - start)
            return BenchResult(
                suite: "http", case: "sse_fanout", impl: "herald-sqlite-\(sseClients)clients",
                eventsPerSecond: Double(total * sseClients) / elapsed.inSeconds, p50Microseconds: 0,
                p99Microseconds: 0)
        }
    }

    /// One SSE client; single-event POSTs at 1,000 per second for the case's duration (at most 60,000); the time
    /// from sending each POST to reading the event from the stream.
    func sseLatency(client: HTTPClient, server: BenchServer) async throws -> BenchResult {
        let count = min(60_000, max(100, Int(duration.inSeconds * 1000)))
        let samples = LatencySamples(events: count, deliveriesPerEvent: 1)
        let response = try await client.execute(
            HTTPClientRequest(url: "\(server.baseURL)/v1/stream?topic=bench.latency"), timeout: .seconds(120))
        guard response.status == .ok else {
            throw BenchServerError(description: "GET /v1/stream answered \(response.status)")
        }
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                var received = 0
                try await SSEReader(response: response).forEachData { data in
                    // The subject is "n<index>".
                    let text = String(decoding: data, as: UTF8.self)
                    if let range = text.range(of: #""subject":"n"#),
                        let end = text[range.upperBound...].firstIndex(of: "\""),
                        let index = Int(text[range.upperBound..<end])
                    {
                        samples.markReceived(index)
                    }
                    received += 1
                    return received < count
                }
            }
            for index in 0..<count {
                try await ContinuousClock().sleep(until: start + .milliseconds(index))
                let event = Event(
                    id: "l\(index)", source: "/bench", type: "bench.latency", subject: "n\(index)",
                    dataContentType: "application/json", data: Self.data)
                samples.markSent(index)
                group.addTask { try await post(client: client, server: server, batch: [event]) }
            }
            try await group.waitForAll()
        }
        let elapsed = ContinuousClock.now - start
        let (p50, p99) = samples.percentiles()
        return BenchResult(
            suite: "http", case: "sse_latency", impl: "herald-sqlite-1000/s",
            eventsPerSecond: Double(count) / elapsed.inSeconds, p50Microseconds: p50, p99Microseconds: p99)
    }

    /// POSTs `events`, structured for one and batch for more, and requires 201.
    func post(client: HTTPClient, server: BenchServer, batch events: [Event]) async throws {
        var request = HTTPClientRequest(url: "\(server.baseURL)/v1/events")
        request.method = .POST
        if events.count == 1 {
            request.headers.add(name: "Content-Type", value: Event.jsonMediaType)
            request.body = .bytes(ByteBuffer(bytes: events[0].jsonData()))
        } else {
            request.headers.add(name: "Content-Type", value: Event.jsonBatchMediaType)
            request.body = .bytes(ByteBuffer(bytes: Event.jsonBatchData(events)))
        }
        let response = try await client.execute(request, timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .created else {
            throw BenchServerError(description: "POST /v1/events answered \(response.status)")
        }
    }

    static let data = Data(#"{"order":"A-1001","total":42.5,"currency":"EUR"}"#.utf8)

    /// What a load run measured.
    struct Measured {
        var events: Int
        var elapsed: Duration
        var latencies: [Duration]

        func result(case name: String, impl: String) -> BenchResult {
            let sorted = latencies.sorted()
            func percentile(_ fraction: Double) -> Double {
                guard !sorted.isEmpty else { return 0 }
                let index = min(sorted.count - 1, Int(Double(sorted.count) * fraction))
                return Double(sorted[index].inNanoseconds) / 1000
            }
            return BenchResult(
                suite: "http", case: name, impl: impl,
                eventsPerSecond: Double(events) / elapsed.inSeconds,
                p50Microseconds: percentile(0.5), p99Microseconds: percentile(0.99))
        }
    }

    /// Runs `connections` workers, each sending requests one after another until the duration or the request
    /// bound ends; every request must answer 201.
    func load(
        client: HTTPClient,
        server: BenchServer,
        eventsPerRequest: Int,
        body: @escaping @Sendable (Int, Int) -> (String, ByteBuffer)
    ) async throws -> Measured {
        let url = "\(server.baseURL)/v1/events"
        let start = ContinuousClock.now
        let deadline = start + duration
        let perWorker = Self.maximumRequests / connections
        let latencies = try await withThrowingTaskGroup(of: [Duration].self) { group in
            for worker in 0..<connections {
                group.addTask {
                    var latencies: [Duration] = []
                    var number = 0
                    while number < perWorker, ContinuousClock.now < deadline {
                        let (contentType, bytes) = body(worker, number)
                        var request = HTTPClientRequest(url: url)
                        request.method = .POST
                        request.headers.add(name: "Content-Type", value: contentType)
                        request.body = .bytes(bytes)
                        let sent = ContinuousClock.now
                        let response = try await client.execute(request, timeout: .seconds(30))
                        _ = try await response.body.collect(upTo: 1 << 20)
                        guard response.status == .created else {
                            throw BenchServerError(description: "POST answered \(response.status)")
                        }
                        latencies.append(ContinuousClock.now - sent)
                        number += 1
                    }
                    return latencies
                }
            }
            var all: [Duration] = []
            for try await latencies in group { all.append(contentsOf: latencies) }
            return all
        }
        return Measured(
            events: latencies.count * eventsPerRequest, elapsed: ContinuousClock.now - start, latencies: latencies)
    }
}
