import ArgumentParser
import Foundation
import Herald
import HeraldClient
import HeraldServer
import Testing

@testable import HeraldCLI

@Suite("HeraldClient with API keys")
struct HeraldClientAuthTests {
    static let publisher = APIKey(name: "publisher", secret: "publisher-secret-0123456789", scopes: [.publish])

    @Test func missingOrWrongKeyIsUnauthorizedAndAMissingScopeForbidden() async throws {
        let server = LiveServer(apiKeys: [Self.publisher])
        try await server.run { client, port in
            let missing = await clientError { _ = try await client.publish(orderEvent(id: "k-1")) }
            #expect(missing?.status == 401)
            #expect(missing?.problem?.type == "urn:herald:problem:unauthorized")

            try await withHeraldClient(port: port, apiKey: "not-the-secret-0123456789") { wrong in
                let error = await clientError { _ = try await wrong.publish(orderEvent(id: "k-1")) }
                #expect(error?.status == 401)
            }
            try await withHeraldClient(port: port, apiKey: Self.publisher.secret) { keyed in
                let published = try await keyed.publish(orderEvent(id: "k-1"))
                #expect(published.sequence == 1)
                let forbidden = await clientError { _ = try await keyed.query() }
                #expect(forbidden?.status == 403)
                #expect(forbidden?.problem?.detail.contains("subscribe") == true)
            }
        }
    }

    @Test func publishCommandSendsItsAPIKey() async throws {
        let server = LiveServer(apiKeys: [Self.publisher])
        try await server.run { _, port in
            let base = ["--type", "t", "--source", "/cli", "--id", "k-2", "--server", "http://127.0.0.1:\(port)"]
            try await PublishCommand.parse(base + ["--api-key", Self.publisher.secret]).run()
        }
        #expect(
            try await server.store.read(after: 0, filter: EventFilter(), limit: 10).events.map(\.event.id) == ["k-2"])
    }
}
