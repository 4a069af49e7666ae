import AsyncHTTPClient
import Foundation
import HTTPTypes
import HeraldServer
import HeraldTesting
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOHTTP1
import Testing

/// Long polls over a real socket.
@Suite struct GroupLongPollTests {
    @Test func aLongPollReturnsAsSoonAsAnEventIsPublished() async throws {
        let store = InMemoryEventStore()
        let configuration = HeraldServerConfiguration(host: "127.0.0.1", port: 0)
        try await buildHeraldApplication(store: store, configuration: configuration).test(.live) { client in
            try await client.createGroup("waiters", #"{"topic":"orders.>"}"#)
            let port = try #require(client.port)
            let started = ContinuousClock.now
            async let polled: (HTTPClientResponse, Duration) = {
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/groups/waiters/poll")
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json")
                // The longest wait there is: a poll that the event did not wake would wait all of it.
                request.body = .bytes(ByteBuffer(string: #"{"max":10,"wait_ms":60000}"#))
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(90))
                return (response, ContinuousClock.now - started)
            }()
            try await client.publish(["while-waiting"])
            let (response, elapsed) = try await polled
            #expect(response.status == .ok)
            let body = try await response.body.collect(upTo: 1 << 20)
            let entries = try #require(
                (try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any])?["deliveries"]
                    as? [[String: Any]])
            #expect(entries.count == 1)
            #expect((entries.first?["event"] as? [String: Any])?["id"] as? String == "while-waiting")
            #expect(elapsed < .seconds(60), "the poll returned after \(elapsed), at the end of its wait")
        }
    }
}
