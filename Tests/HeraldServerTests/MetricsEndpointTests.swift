import Herald
import HeraldServer
import HeraldTesting
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite struct MetricsEndpointTests {
    func scrape(_ client: some TestClientProtocol) async throws -> String {
        let response = try await client.execute(uri: "/metrics", method: .get)
        #expect(response.status == .ok)
        #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
        return String(buffer: response.body)
    }

    @Test func countsPublishedEventsByOutcome() async throws {
        try await ServerUnderTest().run { client in
            let batch = "[\(structuredEvent(id: "1")),\(structuredEvent(id: "2"))]"
            _ = try await client.execute(
                uri: "/v1/events", method: .post, headers: .batch, body: ByteBuffer(json: batch))
            _ = try await client.execute(
                uri: "/v1/events", method: .post, headers: .structured, body: ByteBuffer(json: structuredEvent(id: "1"))
            )
            let text = try await scrape(client)
            #expect(text.contains(#"herald_events_published_total{outcome="stored"} 2"#))
            #expect(text.contains(#"herald_events_published_total{outcome="duplicate"} 1"#))
            #expect(text.contains("herald_log_last_sequence 2"))
        }
    }

    @Test func reportsEachGroupsLagAndForgetsDeletedGroups() async throws {
        let server = ServerUnderTest()
        _ = try await server.store.append([
            Event(id: "1", source: "/shop", type: "orders.placed"),
            Event(id: "2", source: "/shop", type: "orders.placed"),
        ])
        _ = try await server.store.createGroup(
            ConsumerGroupConfiguration(name: "billing", topic: try TopicPattern("orders.>"), start: .earliest))
        try await server.run { client in
            let polled = try await client.execute(
                uri: "/v1/groups/billing/poll", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"max":1}"#))
            #expect(polled.status == .ok)
            let text = try await scrape(client)
            #expect(text.contains(#"herald_group_lag{group="billing"} 2"#))
            #expect(text.contains(#"herald_group_in_flight{group="billing"} 1"#))
            #expect(text.contains(#"herald_group_dead_letters{group="billing"} 0"#))
            #expect(text.contains(#"herald_events_delivered_total{transport="group"} 1"#))

            _ = try await server.store.deleteGroup(named: "billing")
            #expect(!(try await scrape(client)).contains(#"group="billing""#))
        }
    }
}
