import AsyncHTTPClient
import Foundation
import Herald
import HeraldServer
import HeraldTesting
import Hummingbird
import Logging
import NIOCore
import NIOFoundationEssentialsCompat
import NIOHTTP1
import ServiceLifecycle
import Testing

/// Thrown when a test step outlives its deadline.
struct DeadlineExceeded: Error, CustomStringConvertible {
    var what: String
    var description: String { "deadline exceeded: \(what)" }
}

/// Runs `operation`, failing with ``DeadlineExceeded`` when it takes longer than `limit`.
func withDeadline<Value: Sendable>(
    _ limit: Duration,
    _ what: String,
    _ operation: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    try await withThrowingTaskGroup(of: Value.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw DeadlineExceeded(what: what)
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

/// Waits until `condition` holds, checking every few milliseconds, or throws ``DeadlineExceeded``.
func waitUntil(
    _ what: String,
    within limit: Duration = testHangLimit,
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + limit
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw DeadlineExceeded(what: what) }
        try await Task.sleep(for: .milliseconds(2))
    }
}

/// ``testHangLimit`` as a request timeout of AsyncHTTPClient.
let requestHangLimit = TimeAmount.seconds(testHangLimit.components.seconds)

let quietLogger: Logger = {
    var logger = Logger(label: "herald.test")
    logger.logLevel = .warning
    return logger
}()

/// Runs an application on a real socket, 127.0.0.1 and a port the system picks, for the length of a test,
/// then shuts it down gracefully, failing if the shutdown hangs.
enum LiveServer {
    /// Builds the application to run, given the `onServerRunning` that reports its port.
    typealias Build = @Sendable (_ onServerRunning: @escaping @Sendable (any Channel) async -> Void) -> any Service

    /// The Herald application over `store` with `configuration`, on 127.0.0.1 and port 0.
    static func herald(
        store: any EventLog & ConsumerGroupStore,
        configuration: HeraldServerConfiguration = HeraldServerConfiguration()
    ) -> Build {
        var configuration = configuration
        configuration.host = "127.0.0.1"
        configuration.port = 0
        return { [configuration] onServerRunning in
            buildHeraldApplication(
                store: store, configuration: configuration, logger: quietLogger, onServerRunning: onServerRunning)
        }
    }

    /// Runs the application `build` makes and `test` against its port, within `limit`.
    static func run(
        _ build: Build,
        within limit: Duration = testHangLimit,
        _ test: @escaping @Sendable (_ port: Int) async throws -> Void
    ) async throws {
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let application = build { channel in
            portContinuation.yield(channel.localAddress?.port ?? 0)
        }
        let serviceGroup = ServiceGroup(configuration: .init(services: [application], logger: quietLogger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                defer { portContinuation.finish() }
                try await serviceGroup.run()
            }
            var portIterator = ports.makeAsyncIterator()
            guard let port = await portIterator.next() else {
                try await tasks.next()
                throw DeadlineExceeded(what: "the server stopped before it listened")
            }
            do {
                try await withDeadline(limit, "the test against the live server") { try await test(port) }
            } catch {
                await serviceGroup.triggerGracefulShutdown()
                tasks.cancelAll()
                throw error
            }
            await serviceGroup.triggerGracefulShutdown()
            // A guard against a shutdown that hangs: it ends at once when the shutdown does.
            tasks.addTask {
                try await Task.sleep(for: testHangLimit)
                throw DeadlineExceeded(what: "graceful shutdown of the server")
            }
            try await tasks.next()
            tasks.cancelAll()
        }
    }
}

/// One frame of a Server-Sent Events stream: an event, or a comment.
struct ServerSentEventFrame: Equatable {
    /// The frame as sent, without the blank line that ends it.
    var raw: String
    var id: String?
    var event: String?
    var data: String?
    var comment: String?

    init(raw: String) {
        self.raw = raw
        for line in raw.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix(":") {
                comment = String(line.dropFirst().drop { $0 == " " })
                continue
            }
            let name = line.prefix { $0 != ":" }
            var value = line.dropFirst(name.count + 1)
            if value.hasPrefix(" ") { value = value.dropFirst() }
            switch name {
            case "id": id = String(value)
            case "event": event = String(value)
            case "data": data = (data.map { $0 + "\n" } ?? "") + value
            default: break
            }
        }
    }

    /// The sequence in `id`.
    var sequence: Int64? { id.flatMap { Int64($0) } }
}

/// A `GET /v1/stream` client over AsyncHTTPClient that reads the stream frame by frame.
struct ServerSentEventsClient {
    let response: HTTPClientResponse
    private var body: HTTPClientResponse.Body.AsyncIterator
    private var buffer: [UInt8] = []
    private var scanned = 0

    /// Connects to the stream of the server on `port`, with `query` (`topic=...&after=...`) and `headers`, over
    /// `scheme` (`http` or `https`) with `client`.
    static func connect(
        port: Int, query: String = "", headers: [(String, String)] = [], scheme: String = "http",
        client: HTTPClient = .shared
    ) async throws -> Self {
        var request = HTTPClientRequest(
            url: "\(scheme)://127.0.0.1:\(port)/v1/stream\(query.isEmpty ? "" : "?" + query)")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await client.execute(request, timeout: requestHangLimit)
        return Self(response: response, body: response.body.makeAsyncIterator())
    }

    private init(response: HTTPClientResponse, body: HTTPClientResponse.Body.AsyncIterator) {
        self.response = response
        self.body = body
    }

    /// The next frame; `nil` when the stream ended.
    mutating func next() async throws -> ServerSentEventFrame? {
        while true {
            if let end = frameEnd() {
                let frame = String(decoding: buffer[..<end], as: UTF8.self)
                buffer.removeFirst(end + 2)
                scanned = 0
                return ServerSentEventFrame(raw: frame)
            }
            scanned = max(0, buffer.count - 1)
            guard let chunk = try await body.next() else { return nil }
            buffer.append(contentsOf: chunk.readableBytesView)
        }
    }

    /// The next event frame, skipping heartbeats.
    mutating func nextEvent() async throws -> ServerSentEventFrame? {
        while let frame = try await next() {
            if frame.comment == nil { return frame }
        }
        return nil
    }

    /// Reads events until `count` have come.
    mutating func events(_ count: Int) async throws -> [ServerSentEventFrame] {
        var frames: [ServerSentEventFrame] = []
        while frames.count < count, let frame = try await nextEvent() { frames.append(frame) }
        return frames
    }

    /// Reads frames until the stream ends, the connection closing or failing, and returns the events.
    mutating func eventsUntilEnd() async -> [ServerSentEventFrame] {
        var frames: [ServerSentEventFrame] = []
        while let frame = try? await nextEvent() { frames.append(frame) }
        return frames
    }

    private func frameEnd() -> Int? {
        var index = scanned
        while index + 1 < buffer.count {
            if buffer[index] == UInt8(ascii: "\n") && buffer[index + 1] == UInt8(ascii: "\n") { return index }
            index += 1
        }
        return nil
    }
}

/// Posts `events` as a batch to the server on `port`, returning the HTTP status.
@discardableResult
func publishBatch(port: Int, _ events: [Event]) async throws -> Int {
    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/events")
    request.method = .POST
    request.headers.add(name: "Content-Type", value: Event.jsonBatchMediaType)
    request.body = .bytes(ByteBuffer(data: Event.jsonBatchData(events)))
    let response = try await HTTPClient.shared.execute(request, timeout: requestHangLimit)
    _ = try await response.body.collect(upTo: 1 << 20)
    return Int(response.status.code)
}

/// `count` events named `prefix-N`, cycling through `types`.
func events(_ count: Int, prefix: String = "e", types: [String] = ["orders.placed"], from start: Int = 0) -> [Event] {
    (start..<start + count).map { index in
        Event(
            id: "\(prefix)-\(index)", source: "/shop", type: types[index % types.count],
            data: Data(#"{"n":\#(index)}"#.utf8))
    }
}
