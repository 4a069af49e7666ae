import Foundation
import Herald
import HeraldClient
import HeraldServer
import Synchronization
import Testing

@Suite("HeraldClient streaming publish")
struct HeraldClientStreamingPublishTests {
    /// The events, as an async sequence that yields them one by one.
    static func stream(_ events: [Event]) -> AsyncStream<Event> {
        AsyncStream { continuation in
            for event in events { continuation.yield(event) }
            continuation.finish()
        }
    }

    /// Many more events than the window: each is answered once, in the order sent, and stored in that order; an
    /// invalid event and a repeat are answered in their places and the stream goes on.
    @Test func eachEventIsAnsweredInOrderAndStoredInOrder() async throws {
        let server = LiveServer()
        let count = 500
        let (invalid, repeated) = (100, 200)
        let events = (0..<count).map { index in
            switch index {
            case invalid: Event(id: "", source: "/shop", type: "orders.placed")
            case repeated: orderEvent(id: "s-10")
            default: orderEvent(id: "s-\(index)")
            }
        }
        let answers = Mutex<[(String, Result<PublishResult, HeraldClientError>)]>([])
        try await server.run { client, _ in
            let answered = try await client.publish(streaming: Self.stream(events), window: 32) { event, result in
                answers.withLock { $0.append((event.id, result)) }
            }
            #expect(answered == count)
        }
        let received = answers.withLock { $0 }
        #expect(received.map(\.0) == events.map(\.id), "one answer per event, in the order sent")
        var expectedSequence: Int64 = 1
        for (index, (_, result)) in received.enumerated() {
            switch index {
            case invalid:
                #expect((try? result.get()) == nil)
                if case .failure(let error) = result { #expect(error.problem?.status == 400) }
            case repeated:
                #expect(try result.get() == PublishResult(id: "s-10", source: "/shop", sequence: 11, isDuplicate: true))
            default:
                #expect(
                    try result.get()
                        == PublishResult(
                            id: "s-\(index)", source: "/shop", sequence: expectedSequence, isDuplicate: false))
                expectedSequence += 1
            }
        }
        let stored = try await server.store.read(after: 0, filter: EventFilter(), limit: 1_000).events
        #expect(stored.map(\.event.id) == (0..<count).filter { $0 != invalid && $0 != repeated }.map { "s-\($0)" })
    }

    /// A key without the `publish` scope, or none: the server refuses the upgrade, and the call throws its
    /// problem without answering any event.
    @Test func aKeyWithoutPublishIsRefusedWithTheServersProblem() async throws {
        let reader = APIKey(name: "reader", secret: "reader-secret-00001", scopes: [.subscribe])
        let server = LiveServer(apiKeys: [reader])
        let answered = Mutex(0)
        try await server.run { _, port in
            try await withHeraldClient(port: port, apiKey: reader.secret) { client in
                let error = await clientError {
                    try await client.publish(streaming: Self.stream([orderEvent(id: "denied")])) { _, _ in
                        answered.withLock { $0 += 1 }
                    }
                }
                #expect(error?.problem?.status == 403)
                #expect(error?.problem?.detail.contains("'publish' scope") == true)
            }
            try await withHeraldClient(port: port) { client in
                let error = await clientError {
                    try await client.publish(streaming: Self.stream([orderEvent(id: "anonymous")])) { _, _ in
                        answered.withLock { $0 += 1 }
                    }
                }
                #expect(error?.problem?.status == 401)
            }
        }
        #expect(answered.withLock { $0 } == 0)
        #expect(try await server.store.lastSequence() == 0)
    }

    @Test func aWindowBelowOneIsRefusedBeforeConnecting() async throws {
        let client = HeraldClient(baseURL: try #require(URL(string: "http://127.0.0.1:9")))
        let error = await clientError {
            try await client.publish(streaming: Self.stream([orderEvent(id: "x")]), window: 0) { _, _ in }
        }
        #expect(error == .invalidRequest("the window must be at least 1, got 0"))
    }
}
