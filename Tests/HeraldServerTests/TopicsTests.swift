import Foundation
import HTTPTypes
import HeraldServer
import HeraldTesting
import HummingbirdTesting
import NIOCore
import Testing

@Suite struct TopicsTests {
    struct TopicsBody: Decodable {
        struct Topic: Decodable, Equatable {
            var type: String
            var count: Int
            var lastSequence: Int64
            var ratePerSecond: Double
        }
        var topics: [Topic]
    }

    @Test(arguments: StoreKind.allCases)
    func listsEachTypeWithCountAndLastSequence(store: StoreKind) async throws {
        try await store.withServer { client, _ in
            let empty = try await client.send(.get, "/v1/topics")
            #expect(empty.status == .ok)
            #expect(String(buffer: empty.body) == #"{"topics":[]}"#)

            try await client.publish(["p1", "p2"], type: "orders.placed")
            try await client.publish(["s1"], type: "orders.shipped")
            try await client.publish(["p3"], type: "orders.placed")
            try await client.publish(["p1"], type: "orders.placed")  // a duplicate: not stored again

            let response = try await client.send(.get, "/v1/topics")
            #expect(response.status == .ok)
            #expect(response.contentType == "application/json")
            let topics = try response.decodeSnakeCase(TopicsBody.self).topics
            #expect(topics.map(\.type) == ["orders.placed", "orders.shipped"])
            #expect(topics.map(\.count) == [3, 1])
            #expect(topics.map(\.lastSequence) == [4, 3])
            #expect(topics.allSatisfy { $0.ratePerSecond >= 0 })
        }
    }

    @Test(arguments: StoreKind.allCases)
    func theRateCountsEventsPublishedWhileTheServerRuns(store: StoreKind) async throws {
        try await store.withServer { client, _ in
            // The rate service starts with the server; publish until it has seen an event, within bounds.
            let deadline = ContinuousClock.now + testHangLimit
            var rate = 0.0
            var published = 0
            while rate == 0, published < 500, ContinuousClock.now < deadline {
                try await client.publish(["r\(published)"], type: "metrics.cpu")
                published += 1
                let topics = try await client.send(.get, "/v1/topics").decodeSnakeCase(TopicsBody.self).topics
                rate = topics.first { $0.type == "metrics.cpu" }?.ratePerSecond ?? 0
            }
            #expect(rate > 0, "no rate after \(published) events")
            #expect(rate <= Double(published), "at most every event in the first second")
        }
    }
}
