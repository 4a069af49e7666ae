import AsyncHTTPClient
import Foundation
import HTTPTypes
import Herald
import HeraldServer
import HeraldTesting
import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import HummingbirdWebSocket
import NIOCore
import NIOFoundationEssentialsCompat
import NIOHTTP1
import NIOWebSocket
import Synchronization
import Testing

/// Reads a WebSocket's text messages one by one.
struct TextMessages {
    var iterator: WebSocketInboundMessageStream.AsyncIterator

    init(_ inbound: WebSocketInboundStream) {
        iterator = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
    }

    /// The next message, a binary one as `"<binary>"`; `nil` when the socket closed.
    mutating func next() async throws -> String? {
        switch try await iterator.next() {
        case .text(let text): text
        case .binary: "<binary>"
        case nil: nil
        }
    }

    /// The next message as a JSON object.
    mutating func nextObject() async throws -> [String: Any] {
        try jsonObject(try #require(try await next()))
    }
}

/// Parses a JSON object.
func jsonObject(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
}

/// Connects a WebSocket client to `/v1/ws` on `port` and runs `handler` on it.
func withWebSocket(
    port: Int,
    query: String = "",
    _ handler: @escaping @Sendable (inout TextMessages, WebSocketOutboundWriter) async throws -> Void
) async throws {
    try await WebSocketClient.connect(
        url: "ws://127.0.0.1:\(port)/v1/ws\(query.isEmpty ? "" : "?" + query)", logger: quietLogger
    ) { inbound, outbound, _ in
        var messages = TextMessages(inbound)
        try await handler(&messages, outbound)
        try await outbound.close(.normalClosure, reason: nil)
    }
}

/// Narrows every request's scopes, as the authentication middleware does for a key.
struct GrantScopesMiddleware: RouterMiddleware {
    typealias Context = HeraldRequestContext
    let scopes: Set<APIKey.Scope>

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        context.grantedScopes = scopes
        return try await next(request, context)
    }
}

@Suite struct StreamWebSocketTests {
    @Test func sendsEachEventAsTheSameJSONAsGetEvents() async throws {
        let store = InMemoryEventStore()
        _ = try await store.append(events(2))
        try await LiveServer.run(LiveServer.herald(store: store)) { port in
            var received: [String] = []
            try await RawWebSocket.with(port: port, path: "/v1/ws?after=0") { socket in
                for _ in 0..<2 { received.append(try #require(try await socket.nextText())) }
            }
            let response = try await HTTPClient.shared.execute(
                HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/events?after=0"), timeout: requestHangLimit)
            let body = String(buffer: try await response.body.collect(upTo: 1 << 20))
            #expect(body == #"{"events":["# + received.joined(separator: ",") + #"],"next_after":2}"#)
            let first = try jsonObject(received[0])
            #expect(first["sequence"] as? Int == 1)
            #expect((first["event"] as? [String: Any])?["id"] as? String == "e-0")
        }
    }

    @Test func sendsOnlyMatchingEventsIncludingOnesPublishedLater() async throws {
        let store = InMemoryEventStore()
        _ = try await store.append(events(3, types: ["orders.placed", "payments.taken"]))
        try await LiveServer.run(LiveServer.herald(store: store)) { port in
            var sequences: [Int] = []
            try await RawWebSocket.with(port: port, path: "/v1/ws?topic=orders.*&after=0") { socket in
                for _ in 0..<2 {
                    sequences.append(
                        try jsonObject(try #require(try await socket.nextText()))["sequence"] as? Int ?? -1)
                }
                _ = try await store.append(events(2, prefix: "later", types: ["payments.taken", "orders.paid"]))
                sequences.append(try jsonObject(try #require(try await socket.nextText()))["sequence"] as? Int ?? -1)
            }
            #expect(sequences == [1, 3, 5])
        }
    }

    @Test func publishingAnEventIsAnsweredWithWhatPostAnswers() async throws {
        let store = InMemoryEventStore()
        try await LiveServer.run(LiveServer.herald(store: store)) { port in
            let answers = Mutex<[String]>([])
            // A topic nothing matches, so that only answers come back.
            try await withWebSocket(port: port, query: "topic=nothing") { messages, outbound in
                for _ in 0..<2 {
                    try await outbound.write(.text(structuredEvent(id: "ws-1")))
                    let answer = try #require(try await messages.next())
                    answers.withLock { $0.append(answer) }
                }
            }
            let (first, repeated) = answers.withLock { ($0[0], $0[1]) }
            let decoded = try JSONDecoder().decode(PublishBody.self, from: Data(first.utf8))
            #expect(decoded == PublishBody(events: [.init(id: "ws-1", source: "/shop", sequence: 1, duplicate: false)]))
            #expect(try await store.lastSequence() == 1)

            // A repeat over HTTP is answered exactly as the repeat over the socket.
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/events")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: Event.jsonMediaType)
            request.body = .bytes(ByteBuffer(string: structuredEvent(id: "ws-1")))
            let response = try await HTTPClient.shared.execute(request, timeout: requestHangLimit)
            #expect(String(buffer: try await response.body.collect(upTo: 1 << 20)) == repeated)
            #expect(repeated.contains(#""duplicate":true"#))
        }
    }

    @Test func aBadEventIsAnsweredWithAProblemAndTheSocketStaysOpen() async throws {
        let store = InMemoryEventStore()
        try await LiveServer.run(LiveServer.herald(store: store)) { port in
            let answers = Mutex<[String]>([])
            try await withWebSocket(port: port, query: "topic=nothing") { messages, outbound in
                let missingType = #"{"specversion":"1.0","id":"x","source":"/shop"}"#
                for message in ["not json", missingType, #"{"specversion":"1.0""#] {
                    try await outbound.write(.text(message))
                    let answer = try #require(try await messages.next())
                    answers.withLock { $0.append(answer) }
                }
                try await outbound.write(.binary(ByteBuffer(string: structuredEvent(id: "binary"))))
                let binaryAnswer = try #require(try await messages.next())
                try await outbound.write(.text(structuredEvent(id: "good")))
                let goodAnswer = try #require(try await messages.next())
                answers.withLock { $0 += [binaryAnswer, goodAnswer] }
            }
            let all = try answers.withLock { $0 }.map(jsonObject)
            for problem in all.prefix(4) {
                #expect(problem["status"] as? Int == 400)
                #expect(problem["type"] as? String == "urn:herald:problem:invalid-event")
                #expect((problem["detail"] as? String)?.isEmpty == false)
            }
            #expect((all[1]["detail"] as? String)?.contains("type") == true)
            #expect((all[3]["detail"] as? String)?.contains("text message") == true)
            #expect((all[4]["events"] as? [[String: Any]])?.first?["id"] as? String == "good")
            #expect(try await store.lastSequence() == 1)
        }
    }

    /// A client streams events without waiting for answers: each message is answered in the order sent, and
    /// the events are stored in that order, a bad message and a repeat answered in their places.
    @Test func eventsSentWithoutWaitingAreAnsweredAndStoredInOrder() async throws {
        let store = InMemoryEventStore()
        let count = 300
        // A message that is not JSON, one with an invalid event (an empty id) and a repeat of an earlier event.
        let (malformed, invalid, repeated) = (150, 180, 200)
        try await LiveServer.run(LiveServer.herald(store: store)) { port in
            let answers = Mutex<[String]>([])
            try await withWebSocket(port: port, query: "topic=nothing") { messages, outbound in
                for index in 0..<count {
                    let text =
                        switch index {
                        case malformed: #"{"specversion":"1.0","id":"#
                        case invalid: structuredEvent(id: "")
                        case repeated: structuredEvent(id: "ws-10")
                        default: structuredEvent(id: "ws-\(index)")
                        }
                    try await outbound.write(.text(text))
                }
                for _ in 0..<count {
                    let answer = try #require(try await messages.next())
                    answers.withLock { $0.append(answer) }
                }
            }
            let received = answers.withLock { $0 }
            #expect(try jsonObject(received[malformed])["status"] as? Int == 400)
            #expect(try jsonObject(received[invalid])["status"] as? Int == 400)
            var expectedSequence: Int64 = 1
            for index in 0..<count where index != malformed && index != invalid {
                let entry = try #require(
                    try JSONDecoder().decode(PublishBody.self, from: Data(received[index].utf8)).events.first)
                if index == repeated {
                    #expect(entry == .init(id: "ws-10", source: "/shop", sequence: 11, duplicate: true))
                } else {
                    #expect(
                        entry == .init(id: "ws-\(index)", source: "/shop", sequence: expectedSequence, duplicate: false)
                    )
                    expectedSequence += 1
                }
            }
            let stored = try await store.read(after: 0, filter: EventFilter(), limit: 1_000).events.map(\.event.id)
            #expect(stored == (0..<count).filter { ![malformed, invalid, repeated].contains($0) }.map { "ws-\($0)" })
        }
    }

    /// A client that sends events and closes at once, without reading an answer, loses none of them.
    @Test func eventsSentJustBeforeTheClientClosesAreStored() async throws {
        let store = InMemoryEventStore()
        try await LiveServer.run(LiveServer.herald(store: store)) { port in
            try await withWebSocket(port: port, query: "topic=nothing") { _, outbound in
                for index in 0..<300 { try await outbound.write(.text(structuredEvent(id: "quick-\(index)"))) }
            }
            try await waitUntil("the 300 events to be stored") { try await store.lastSequence() == 300 }
        }
    }

    @Test func publishingWithoutThePublishScopeIsAnswered403() async throws {
        let store = InMemoryEventStore()
        let hub = EventStreamHub(store: store, bufferLimit: 16, logger: quietLogger)
        let build: LiveServer.Build = { onServerRunning in
            let router = Router(context: HeraldRequestContext.self)
            router.add(middleware: GrantScopesMiddleware(scopes: [.subscribe]))
            WebSocketStreamController(hub: hub, store: store, maxMessageBytes: 1 << 20)
                .addRoutes(to: router.group("v1/ws"))
            return Application(
                router: router, server: .http1WebSocketUpgrade(webSocketRouter: router),
                configuration: .init(address: .hostname("127.0.0.1", port: 0)), services: [hub],
                onServerRunning: onServerRunning, logger: quietLogger)
        }
        try await LiveServer.run(build) { port in
            let answer = Mutex<String>("")
            try await withWebSocket(port: port, query: "after=0") { messages, outbound in
                try await outbound.write(.text(structuredEvent(id: "denied")))
                let text = try #require(try await messages.next())
                answer.withLock { $0 = text }
            }
            let problem = try jsonObject(answer.withLock { $0 })
            #expect(problem["status"] as? Int == 403)
            #expect((problem["detail"] as? String)?.contains("'publish'") == true)
            #expect(try await store.lastSequence() == 0)
        }
    }

    @Test func aPlainGetAnswers426() async throws {
        try await ServerUnderTest().run { client in
            let response = try await client.execute(uri: "/v1/ws", method: .get)
            #expect(response.status.code == 426)
            #expect(try response.decode(ProblemBody.self).type == "urn:herald:problem:upgrade-required")
        }
    }

    @Test(arguments: [("topic=orders..x", "'topic'"), ("after=-5", "'after'"), ("after=x", "'after'")])
    func anInvalidQueryIsAnsweredWithAProblemThenClosed(query: String, named: String) async throws {
        try await LiveServer.run(LiveServer.herald(store: InMemoryEventStore())) { port in
            var texts: [String] = []
            var closeCode: UInt16?
            try await RawWebSocket.with(port: port, path: "/v1/ws?\(query)") { socket in
                while let frame = try await socket.next() {
                    if frame.opcode == 0x1 { texts.append(frame.text) }
                    if frame.opcode == 0x8 {
                        closeCode = frame.closeCode
                        break
                    }
                }
            }
            #expect(closeCode == 1008)
            #expect(texts.count == 1)
            let problem = try jsonObject(try #require(texts.first))
            #expect(problem["status"] as? Int == 400)
            #expect(problem["type"] as? String == "urn:herald:problem:invalid-query")
            #expect((problem["detail"] as? String)?.contains(named) == true)
        }
    }

    @Test func withAPIKeysASubscribeOnlyKeyStreamsButCannotPublish() async throws {
        let store = InMemoryEventStore()
        _ = try await store.append(events(1))
        let reader = APIKey(name: "reader", secret: "reader-secret-0001", scopes: [.subscribe])
        var configuration = HeraldServerConfiguration()
        configuration.apiKeys = [reader]
        try await LiveServer.run(LiveServer.herald(store: store, configuration: configuration)) { port in
            var answers: [String] = []
            try await RawWebSocket.with(
                port: port, path: "/v1/ws?after=0", headers: [("Authorization", "Bearer \(reader.secret)")]
            ) { socket in
                try await socket.send(text: structuredEvent(id: "denied"))
                // The stored event and the answer to the publish, in either order.
                for _ in 0..<2 { answers.append(try #require(try await socket.nextText())) }
            }
            let objects = try answers.map(jsonObject)
            #expect(objects.contains { $0["sequence"] as? Int == 1 })
            #expect(objects.contains { $0["status"] as? Int == 403 })
            #expect(try await store.lastSequence() == 1)
        }
    }

    @Test(
        arguments: [
            (nil, 401, "requires an API key"),
            ("Bearer not-a-known-secret-000", 401, "not one this server knows"),
            ("Bearer writer-secret-00001", 403, "'subscribe' scope"),
        ] as [(String?, Int, String)])
    func withAPIKeysAnUpgradeWithoutSubscribeGetsTheProblemAsAMessage(
        authorization: String?, status: Int, detail: String
    ) async throws {
        let store = InMemoryEventStore()
        _ = try await store.append(events(1))
        let writer = APIKey(name: "writer", secret: "writer-secret-00001", scopes: [.publish])
        var configuration = HeraldServerConfiguration()
        configuration.apiKeys = [writer]
        try await LiveServer.run(LiveServer.herald(store: store, configuration: configuration)) { port in
            var texts: [String] = []
            try await RawWebSocket.with(
                port: port, path: "/v1/ws?after=0", headers: authorization.map { [("Authorization", $0)] } ?? []
            ) { socket in
                // Only the problem comes, then the close: no stored event leaks.
                while let text = try await socket.nextText() { texts.append(text) }
            }
            #expect(texts.count == 1)
            let problem = try jsonObject(try #require(texts.first))
            #expect(problem["status"] as? Int == status)
            #expect((problem["detail"] as? String)?.contains(detail) == true)
        }
    }

    /// `/v1/ws/publish` takes a publish-only key, answers each event, and sends no events, even the ones it
    /// stored; a key without `publish` gets the problem as a message, then the close.
    @Test func thePublishingSocketTakesAPublishKeyAndSendsOnlyAnswers() async throws {
        let store = InMemoryEventStore()
        _ = try await store.append(events(1))
        let writer = APIKey(name: "writer", secret: "writer-secret-00001", scopes: [.publish])
        let reader = APIKey(name: "reader", secret: "reader-secret-00001", scopes: [.subscribe])
        var configuration = HeraldServerConfiguration()
        configuration.apiKeys = [writer, reader]
        try await LiveServer.run(LiveServer.herald(store: store, configuration: configuration)) { port in
            var texts: [String] = []
            try await RawWebSocket.with(
                port: port, path: "/v1/ws/publish", headers: [("Authorization", "Bearer \(writer.secret)")]
            ) { socket in
                for index in 0..<3 { try await socket.send(text: structuredEvent(id: "p-\(index)")) }
                for _ in 0..<3 { texts.append(try #require(try await socket.nextText())) }
            }
            let sequences = try texts.map {
                try #require(try JSONDecoder().decode(PublishBody.self, from: Data($0.utf8)).events.first?.sequence)
            }
            #expect(sequences == [2, 3, 4], "answers only, in order: no event came back")

            var refused: [String] = []
            try await RawWebSocket.with(
                port: port, path: "/v1/ws/publish", headers: [("Authorization", "Bearer \(reader.secret)")]
            ) { socket in
                while let text = try await socket.nextText() { refused.append(text) }
            }
            #expect(refused.count == 1)
            let problem = try jsonObject(try #require(refused.first))
            #expect(problem["status"] as? Int == 403)
            #expect((problem["detail"] as? String)?.contains("'publish' scope") == true)
            #expect(try await store.lastSequence() == 4)
        }
    }

    @Test func theUpgradeExceptionCoversOnlyTheWebSocketRoute() async throws {
        let store = InMemoryEventStore()
        _ = try await store.append(events(1))
        var configuration = HeraldServerConfiguration()
        configuration.apiKeys = [APIKey(name: "reader", secret: "reader-secret-0001", scopes: [.subscribe])]
        try await buildHeraldApplication(store: store, configuration: configuration).test(.router) { client in
            let response = try await client.execute(
                uri: "/v1/events?after=0", method: .get,
                headers: [.upgrade: "websocket", .connection: "Upgrade"])
            #expect(response.status == .unauthorized)
            #expect(!String(buffer: response.body).contains("orders.placed"))
        }
    }
}
