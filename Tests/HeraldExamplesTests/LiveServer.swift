import AsyncHTTPClient
import Foundation
import Herald
import HeraldClient
import HeraldServer
import HummingbirdTesting
import Testing

/// `herald serve` over an in-memory store on 127.0.0.1, at a port the system picks: for running the
/// demos with `--server`.
struct LiveServer {
    let store = InMemoryEventStore()

    /// Starts the server and calls `body` with a client for it, on an HTTP client shut down afterwards.
    func run(_ body: @Sendable (HeraldClient) async throws -> Void) async throws {
        let application = buildHeraldApplication(
            store: store, configuration: HeraldServerConfiguration(host: "127.0.0.1", port: 0))
        try await application.test(.live) { testClient in
            let port = try #require(testClient.port)
            let httpClient = HTTPClient(
                eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: HeraldClient.fastFailingConfiguration)
            let client = HeraldClient(
                baseURL: try #require(URL(string: "http://127.0.0.1:\(port)")), httpClient: httpClient)
            do {
                try await body(client)
            } catch {
                try await httpClient.shutdown()
                throw error
            }
            try await httpClient.shutdown()
        }
    }
}
