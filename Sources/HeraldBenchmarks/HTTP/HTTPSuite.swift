import AsyncHTTPClient
import Foundation
import Herald
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
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
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
        ]
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
