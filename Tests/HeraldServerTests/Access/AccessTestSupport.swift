import AsyncHTTPClient
import Foundation
import Herald
import HeraldServer
import HeraldTesting
import Logging
import NIOCore
import NIOHTTP1
import Testing

/// A Herald server with access settings on a real socket (127.0.0.1, a port the system picks), its time on a
/// ``TestClock`` so that rate limits refill when the test says, and its logs kept for assertions.
struct AccessServer {
    let store = InMemoryEventStore()
    let clock = TestClock()
    let logs = CapturedLogs()
    let metrics = ServerMetrics()
    var configuration = HeraldServerConfiguration()

    init(keys: [APIKey] = []) {
        configuration.apiKeys = keys
    }

    /// Runs `test` against the server, given a client for its port.
    func run(_ test: @escaping @Sendable (AccessClient) async throws -> Void) async throws {
        var configuration = configuration
        configuration.host = "127.0.0.1"
        configuration.port = 0
        let logs = logs
        let logger = Logger(label: "herald.test.access") { _ in CapturingLogHandler(logs: logs) }
        let build: LiveServer.Build = { [configuration, store, clock, metrics] onServerRunning in
            buildHeraldApplication(
                store: store, configuration: configuration, logger: logger, metrics: metrics,
                clock: clock.wallClock(), onServerRunning: onServerRunning)
        }
        try await LiveServer.run(build) { port in try await test(AccessClient(port: port)) }
    }
}

/// Sends requests to a server on 127.0.0.1 with AsyncHTTPClient.
struct AccessClient: Sendable {
    /// A response: status, headers and the body as text.
    struct Answer {
        var status: Int
        var headers: HTTPHeaders
        var body: String

        /// The body as a problem detail.
        var problem: ProblemBody {
            get throws { try JSONDecoder().decode(ProblemBody.self, from: Data(body.utf8)) }
        }

        /// The body as a JSON object.
        var object: [String: Any] {
            get throws { try jsonObject(body) }
        }
    }

    let port: Int

    /// Sends `method path` with `key`'s secret, `headers` and `body`.
    func send(
        _ method: HTTPMethod, _ path: String, key: APIKey?, headers: [(String, String)] = [], body: String? = nil
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        if let key { request.headers.add(name: "Authorization", value: "Bearer \(key.secret)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: requestHangLimit)
        let bytes = try await response.body.collect(upTo: 4 << 20)
        return Answer(status: Int(response.status.code), headers: response.headers, body: String(buffer: bytes))
    }

    /// Publishes `events` as a batch (one event as a structured event) with `key`.
    func publish(_ events: [Event], key: APIKey?) async throws -> Answer {
        if events.count == 1 {
            return try await send(
                .POST, "/v1/events", key: key, headers: [("Content-Type", Event.jsonMediaType)],
                body: String(decoding: events[0].jsonData(), as: UTF8.self))
        }
        return try await send(
            .POST, "/v1/events", key: key, headers: [("Content-Type", Event.jsonBatchMediaType)],
            body: String(decoding: Event.jsonBatchData(events), as: UTF8.self))
    }

    /// Sends a JSON body.
    func send(_ method: HTTPMethod, _ path: String, key: APIKey?, json: String) async throws -> Answer {
        try await send(method, path, key: key, headers: [("Content-Type", "application/json")], body: json)
    }
}

/// An event of `type` with `id`.
func accessEvent(_ id: String, type: String) -> Event {
    Event(id: id, source: "/access-test", type: type, data: Data(#"{"n":1}"#.utf8))
}

extension CapturedLogs.Record {
    /// The message and every metadata key and value, to search for what must never be logged.
    var fullText: String {
        ([message] + metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }).joined(separator: " ")
    }
}
