import AsyncHTTPClient
import Foundation
import HTTPTypes
import Herald
import HummingbirdTesting
import NIOCore
import NIOHTTP1
import Testing

@testable import HeraldServer

/// What clients see while the store is unavailable for now (a PostgreSQL restart): `503` with a problem and
/// `Retry-After`, streams that wait and go on, and service again once the store is back.
@Suite struct StoreOutageTests {
    /// A route of the API and the body it is sent with.
    struct Call: CustomTestStringConvertible, Sendable {
        var method: HTTPRequest.Method
        var path: String
        var contentType: String? = nil
        var body: String? = nil
        /// Whether the answer ends by itself, so the test can read it once the store is back (a stream does not).
        var ends = true

        var testDescription: String { "\(method) \(path)" }
    }

    static let calls: [Call] = [
        Call(method: .post, path: "/v1/events", contentType: Event.jsonMediaType, body: structuredEvent(id: "x")),
        Call(
            method: .post, path: "/v1/events", contentType: Event.jsonBatchMediaType,
            body: "[\(structuredEvent(id: "y"))]"),
        Call(method: .get, path: "/v1/events?after=0"),
        Call(method: .get, path: "/v1/topics"),
        Call(method: .get, path: "/v1/stream", ends: false),
        Call(method: .get, path: "/v1/groups"),
        Call(method: .get, path: "/v1/groups/billing"),
        Call(method: .put, path: "/v1/groups/other", contentType: "application/json", body: #"{"topic":">"}"#),
        Call(
            method: .post, path: "/v1/groups/billing/poll", contentType: "application/json",
            body: #"{"max":5,"wait_ms":100}"#),
        Call(
            method: .post, path: "/v1/groups/billing/ack", contentType: "application/json",
            body: #"{"delivery_ids":["billing-1-1-x"]}"#),
        Call(method: .get, path: "/v1/groups/billing/dead-letters"),
        Call(method: .get, path: "/readyz"),
        Call(method: .get, path: "/metrics"),
    ]

    @Test(arguments: calls)
    func aRouteAnswers503WithRetryAfterWhileTheStoreIsUnavailableThenServesAgain(call: Call) async throws {
        let store = UnavailableStore()
        _ = try await store.base.createGroup(ConsumerGroupConfiguration(name: "billing", topic: TopicPattern(">")))
        try await buildHeraldApplication(store: store, logger: quietLogger).test(.router) { client in
            store.isDown = true
            let response = try await Self.execute(call, client)
            #expect(response.status == .serviceUnavailable)
            #expect(response.headers[.retryAfter] == "1")
            #expect(response.contentType == ProblemDetails.mediaType)
            let problem = try response.decode(ProblemBody.self)
            #expect(problem.type == "urn:herald:problem:store-unavailable")
            #expect(problem.status == 503)
            #expect(problem.detail.contains(UnavailableStore.message), "\(problem.detail)")

            store.isDown = false
            guard call.ends else { return }
            let again = try await Self.execute(call, client)
            #expect((200..<300).contains(Int(again.status.code)), "\(again.status) \(String(buffer: again.body))")
            #expect(again.headers[.retryAfter] == nil)
        }
    }

    static func execute(_ call: Call, _ client: some TestClientProtocol) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let contentType = call.contentType { headers[.contentType] = contentType }
        return try await client.execute(
            uri: call.path, method: call.method, headers: headers, body: call.body.map { ByteBuffer(string: $0) })
    }

    @Test func otherStoreFailuresStay500WithoutRetryAfter() {
        let problem = ProblemDetails.storeError(EventLogError(.storage, "disk full"))
        #expect(problem.statusCode == 500)
        #expect(problem.retryAfterSeconds == nil)
        #expect(ProblemDetails.storeError(EventLogError(.unavailable, "down")).headers[.retryAfter] == "1")
    }

    @Test(.timeLimit(.minutes(5)))
    func aLiveStreamWaitsOutAnOutageWithBackoffAndGoesOnWithoutAGap() async throws {
        let store = UnavailableStore()
        try await LiveServer.run(LiveServer.herald(store: store)) { port in
            var stream = try await ServerSentEventsClient.connect(port: port, query: "after=0")
            #expect(stream.response.status == .ok)
            try await publishBatch(port: port, events(3, prefix: "before"))
            #expect(try await stream.events(3).compactMap(\.sequence) == [1, 2, 3])

            store.isDown = true
            try await waitUntil("the hub retrying the store four times") { store.refusedCalls.count >= 4 }
            let refused = store.refusedCalls
            // Not a tight loop: the hub waits 100 ms, then longer, between tries.
            for (earlier, later) in zip(refused, refused.dropFirst()) {
                #expect(later - earlier >= .milliseconds(90), "tries \(later - earlier) apart")
            }

            store.isDown = false
            #expect(try await publishBatch(port: port, events(3, prefix: "after")) == 201)
            // The same connection goes on from where it was.
            #expect(try await stream.events(3).compactMap(\.sequence) == [4, 5, 6])
        }
    }

    @Test(.timeLimit(.minutes(5)))
    func aStreamCatchingUpWaitsOutAnOutage() async throws {
        let store = UnavailableStore()
        _ = try await store.base.append(events(3))
        store.isDown = true
        let hub = EventStreamHub(store: store, bufferLimit: 64, logger: quietLogger)
        try await withRunningHub(hub) {
            try await withThrowingTaskGroup(of: [Int64].self) { tasks in
                tasks.addTask {
                    var subscription = hub.subscribe(
                        topic: nil, after: 0, transport: .serverSentEvents, termination: StreamTermination())
                    defer { subscription.close() }
                    return try await nextSequences(3, of: &subscription)
                }
                try await waitUntil("the store refusing a few calls") { store.refusedCalls.count >= 3 }
                store.isDown = false
                #expect(try await tasks.next() == [1, 2, 3])
            }
        }
    }
}
