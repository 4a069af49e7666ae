import AsyncHTTPClient
import Foundation
import Herald
import HeraldClient
import HeraldServer
import HeraldTesting
import Hummingbird
import HummingbirdTesting
import Testing

/// `herald serve` over an in-memory store, listening on 127.0.0.1 with a port the system picks.
struct LiveServer {
    let store = InMemoryEventStore()
    /// The keys the server requires; none by default.
    var apiKeys: [APIKey] = []
    /// Topics whose events must be signed; none by default.
    var signatureRequirement = SignatureRequirement()

    /// Starts the server, and calls `test` with a client for it (without an API key) and its port.
    func run(_ test: @Sendable (HeraldClient, Int) async throws -> Void) async throws {
        let application = buildHeraldApplication(
            store: store,
            configuration: {
                var configuration = HeraldServerConfiguration(host: "127.0.0.1", port: 0, apiKeys: apiKeys)
                configuration.signatureRequirement = signatureRequirement
                return configuration
            }())
        try await application.test(.live) { testClient in
            let port = try #require(testClient.port)
            try await withHeraldClient(port: port) { client in try await test(client, port) }
        }
    }
}

/// Calls `body` with a client for `http://127.0.0.1:PORT` on its own HTTP client, shut down afterwards.
func withHeraldClient(
    port: Int, apiKey: String? = nil, _ body: (HeraldClient) async throws -> Void
) async throws {
    let httpClient = HTTPClient(
        eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: HeraldClient.fastFailingConfiguration)
    let client = HeraldClient(
        baseURL: try #require(URL(string: "http://127.0.0.1:\(port)")), apiKey: apiKey, httpClient: httpClient)
    do {
        try await body(client)
    } catch {
        try await httpClient.shutdown()
        throw error
    }
    try await httpClient.shutdown()
}

/// A server whose routes answer whatever a test gives them, for responses Herald's server does not send
/// (yet): fixed SSE streams, error bodies that are not problems.
struct FixtureServer {
    let router = Router()

    /// Starts the server and calls `test` with a client for it.
    func run(_ test: @Sendable (HeraldClient) async throws -> Void) async throws {
        let application = Application(
            router: router, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)))
        try await application.test(.live) { testClient in
            let port = try #require(testClient.port)
            try await withHeraldClient(port: port) { client in try await test(client) }
        }
    }
}

/// An event with JSON data.
func orderEvent(id: String, type: String = "orders.placed", subject: String? = nil, data: String = #"{"total":42}"#)
    -> Event
{
    Event(
        id: id, source: "/shop", type: type, subject: subject, dataContentType: "application/json",
        data: Data(data.utf8))
}

/// Runs `body` and returns the ``HeraldClientError`` it throws; fails the test when it throws none.
func clientError(_ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async
    -> HeraldClientError?
{
    do {
        try await body()
        Issue.record("expected a HeraldClientError, got success", sourceLocation: sourceLocation)
    } catch let error as HeraldClientError {
        return error
    } catch {
        Issue.record("expected a HeraldClientError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// The deadline of ``withDeadline(_:_:)`` passed before its body finished.
struct DeadlineExceeded: Error, CustomStringConvertible {
    var duration: Duration
    var description: String { "not done within \(duration)" }
}

/// Runs `body`, cancelling it and throwing ``DeadlineExceeded`` if it has not returned within `duration`.
func withDeadline<Value: Sendable>(
    _ duration: Duration = testHangLimit, _ body: @Sendable @escaping () async throws -> Value
) async throws -> Value {
    try await withThrowingTaskGroup(of: Value?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: duration)
            return nil
        }
        defer { group.cancelAll() }
        guard let value = try await group.next() ?? nil else { throw DeadlineExceeded(duration: duration) }
        return value
    }
}
