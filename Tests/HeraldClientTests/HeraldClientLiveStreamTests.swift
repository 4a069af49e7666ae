import Foundation
import Herald
import HeraldClient
import Testing

@Suite("HeraldClient stream against a live server")
struct HeraldClientLiveStreamTests {
    @Test
    func streamSendsStoredThenNewEventsAndResumesByLastEventID() async throws {
        try await LiveServer().run { client, _ in
            _ = try await client.publish([orderEvent(id: "s-1"), orderEvent(id: "s-2", type: "payments.captured")])
            let received = try await withDeadline {
                var received: [StoredEvent] = []
                for try await stored in client.stream(topic: "orders.>", after: 0) {
                    received.append(stored)
                    if received.count == 1 { _ = try await client.publish(orderEvent(id: "s-3")) }
                    if received.count == 2 { break }
                }
                return received
            }
            #expect(received.map(\.sequence) == [1, 3])
            #expect(received.map(\.event.id) == ["s-1", "s-3"])

            let resumed = try await withDeadline { () -> StoredEvent? in
                for try await stored in client.stream(topic: "orders.>", lastEventID: 1) { return stored }
                return nil
            }
            #expect(resumed?.event.id == "s-3")
        }
    }

    @Test
    func streamWithInvalidTopicThrowsTheProblem() async throws {
        try await LiveServer().run { client, _ in
            let error = await clientError { for try await _ in client.stream(topic: "orders..x") {} }
            #expect(error?.status == 400)
            #expect(error?.problem?.detail.contains("topic") == true)
        }
    }
}
