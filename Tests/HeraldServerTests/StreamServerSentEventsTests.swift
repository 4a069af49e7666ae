import AsyncHTTPClient
import Foundation
import HTTPTypes
import Herald
import HeraldServer
import HeraldTesting
import Hummingbird
import HummingbirdTesting
import Logging
import MetricsTestKit
import NIOCore
import NIOFoundationEssentialsCompat
import NIOHTTP1
import ServiceLifecycle
import Synchronization
import Testing

@Suite struct StreamServerSentEventsTests {
    @Test func writesEachEventAsIdEventAndOneLineDataWithTheStreamHeaders() async throws {
        let store = InMemoryEventStore()
        // Pretty-printed JSON data: its line breaks must not split the `data:` line.
        let event = Event(
            id: "e-1", source: "/shop", type: "orders.placed", dataContentType: "application/json",
            data: Data("{\n  \"total\": 42,\n  \"note\": \"a: b\"\n}".utf8))
        _ = try await store.append(event)
        try await LiveServer.run(LiveServer.herald(store: store)) { port in
            var stream = try await ServerSentEventsClient.connect(port: port, query: "after=0")
            #expect(stream.response.status == .ok)
            #expect(stream.response.headers["Content-Type"] == ["text/event-stream"])
            #expect(stream.response.headers["Cache-Control"] == ["no-cache"])

            let frame = try #require(try await stream.nextEvent())
            let json = String(decoding: event.jsonData(), as: UTF8.self).replacingOccurrences(of: "\n", with: " ")
            #expect(frame.raw == "id: 1\nevent: orders.placed\ndata: \(json)")
            let decoded = try Event.decode(json: Data(try #require(frame.data).utf8))
            #expect(decoded.id == "e-1")
            #expect(decoded.type == "orders.placed")
            let data = try JSONSerialization.jsonObject(with: try #require(decoded.data)) as? [String: Any]
            #expect(data?["total"] as? Int == 42)
            #expect(data?["note"] as? String == "a: b")
        }
    }

    @Test func sendsOnlyEventsMatchingTheTopicAfterTheGivenSequence() async throws {
        let store = InMemoryEventStore()
        _ = try await store.append(
            events(6, types: ["orders.placed", "payments.taken", "orders.paid"]))
        try await LiveServer.run(LiveServer.herald(store: store)) { port in
            var stream = try await ServerSentEventsClient.connect(port: port, query: "topic=orders.*&after=1")
            let frames = try await stream.events(3)
            #expect(frames.map(\.sequence) == [3, 4, 6])
            #expect(frames.map(\.event) == ["orders.paid", "orders.placed", "orders.paid"])
        }
    }

    @Test func lastEventIDResumesAfterItsSequenceAndWinsOverAfter() async throws {
        let store = InMemoryEventStore()
        _ = try await store.append(events(5))
        try await LiveServer.run(LiveServer.herald(store: store)) { port in
            var stream = try await ServerSentEventsClient.connect(
                port: port, query: "after=0", headers: [("Last-Event-ID", "3")])
            #expect(try await stream.events(2).map(\.sequence) == [4, 5])
        }
    }

    @Test func startsWithNewEventsWhenGivenNeitherAfterNorLastEventID() async throws {
        let store = InMemoryEventStore()
        _ = try await store.append(events(2, prefix: "old"))
        try await LiveServer.run(LiveServer.herald(store: store)) { port in
            var stream = try await ServerSentEventsClient.connect(port: port)
            try await publishBatch(port: port, events(1, prefix: "new"))
            let frame = try #require(try await stream.nextEvent())
            #expect(frame.sequence == 3)
            #expect(try Event.decode(json: Data(try #require(frame.data).utf8)).id == "new-0")
        }
    }

    @Test func metricsCountTheConnectedStreamClients() async throws {
        try await LiveServer.run(LiveServer.herald(store: InMemoryEventStore())) { port in
            let scrape = {
                let response = try await HTTPClient.shared.execute(
                    HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics"), timeout: requestHangLimit)
                return String(buffer: try await response.body.collect(upTo: 1 << 20))
            }
            let first = try await ServerSentEventsClient.connect(port: port)
            try await waitUntil("the client is counted") {
                try await scrape().contains(#"herald_stream_clients{transport="sse"} 1"#)
            }
            let second = try await ServerSentEventsClient.connect(port: port)
            try await waitUntil("both clients are counted") {
                try await scrape().contains(#"herald_stream_clients{transport="sse"} 2"#)
            }
            // Both stay connected until here.
            #expect([first.response.status, second.response.status] == [.ok, .ok])

            // Each event reaching each client counts once as delivered.
            try await publishBatch(port: port, events(3, prefix: "counted"))
            var reader = first
            _ = try await reader.events(3)
            var other = second
            _ = try await other.events(3)
            try await waitUntil("the deliveries are counted") {
                try await scrape().contains(#"herald_events_delivered_total{transport="sse"} 6"#)
            }
        }
    }

    @Test func sendsAHeartbeatCommentEveryInterval() async throws {
        var configuration = HeraldServerConfiguration()
        configuration.streamHeartbeatInterval = .milliseconds(50)
        try await LiveServer.run(LiveServer.herald(store: InMemoryEventStore(), configuration: configuration)) { port in
            var stream = try await ServerSentEventsClient.connect(port: port)
            for _ in 0..<2 {
                let frame = try #require(try await stream.next())
                #expect(frame.raw == ": heartbeat")
                #expect(frame.comment == "heartbeat")
                #expect(frame.id == nil)
            }
        }
    }

    @Test func catchesUpFromTheStoreThenGoesLiveWithoutGapOrDuplicate() async throws {
        let store = InMemoryEventStore()
        let types = ["orders.placed", "payments.taken", "orders.paid"]
        _ = try await store.append(events(300, prefix: "before", types: types))
        try await LiveServer.run(LiveServer.herald(store: store)) { port in
            var stream = try await ServerSentEventsClient.connect(port: port, query: "topic=orders.>&after=0")
            // Publish while the stream catches up and switches to the live feed.
            let publisher = Task {
                for batch in 0..<30 {
                    _ = try await store.append(events(10, prefix: "during", types: types, from: batch * 10))
                }
            }
            // Two of every three events match; 600 events in all.
            let expected = (1...600).filter { ($0 - 1) % 3 != 1 }.map(Int64.init)
            let frames = try await stream.events(expected.count)
            try await publisher.value
            #expect(frames.map(\.sequence) == expected)
            // Nothing repeated after the last one either: the next event is the next one published.
            _ = try await store.append(Event(id: "last", source: "/shop", type: "orders.placed"))
            #expect(try await stream.nextEvent()?.sequence == 601)
        }
    }

    @Test(arguments: [
        ("topic=orders..placed", [(String, String)](), "'topic'", "invalid-query"),
        ("topic=", [], "'topic'", "invalid-query"),
        ("topic=orders.%3E.x", [], "'topic'", "invalid-query"),
        ("after=-1", [], "'after'", "invalid-query"),
        ("after=ten", [], "'after'", "invalid-query"),
        ("after=1.5", [], "'after'", "invalid-query"),
        ("after=99999999999999999999", [], "'after'", "invalid-query"),
        ("", [("Last-Event-ID", "abc")], "'Last-Event-ID'", "invalid-header"),
        ("", [("Last-Event-ID", "-3")], "'Last-Event-ID'", "invalid-header"),
        ("", [("Last-Event-ID", "")], "'Last-Event-ID'", "invalid-header"),
        ("after=1", [("Last-Event-ID", "7e3")], "'Last-Event-ID'", "invalid-header"),
    ])
    func anInvalidParameterAnswers400NamingIt(
        query: String, headers: [(String, String)], named: String, problemType: String
    ) async throws {
        try await ServerUnderTest().run { client in
            var fields = HTTPFields()
            for (name, value) in headers { fields.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
            let response = try await client.execute(uri: "/v1/stream?\(query)", method: .get, headers: fields)
            #expect(response.status == .badRequest)
            #expect(response.contentType == "application/problem+json")
            let problem = try response.decode(ProblemBody.self)
            #expect(problem.type == "urn:herald:problem:\(problemType)")
            #expect(problem.detail.contains(named))
        }
    }

    @Test func gracefulShutdownEndsOpenStreamsPromptly() async throws {
        let store = InMemoryEventStore()
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let application = LiveServer.herald(store: store)({ channel in
            portContinuation.yield(channel.localAddress?.port ?? 0)
        })
        // No drain limit: the group never cancels what holds the shutdown up, so the shutdown ends only if the
        // open stream ends of itself. A stream that held it up would hang the test until the hang limit.
        var configuration = ServiceGroupConfiguration(services: [application], logger: quietLogger)
        configuration.maximumGracefulShutdownDuration = nil
        let serviceGroup = ServiceGroup(configuration: configuration)
        try await withDeadline(testHangLimit, "graceful shutdown with an open stream") {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await serviceGroup.run() }
                var portIterator = ports.makeAsyncIterator()
                let port = try #require(await portIterator.next())
                var stream = try await ServerSentEventsClient.connect(port: port, query: "after=0")
                _ = try await store.append(Event(id: "e-1", source: "/shop", type: "orders.placed"))
                #expect(try await stream.nextEvent()?.sequence == 1)

                // The client neither reads on nor disconnects: the stream must end of itself. On a quiet machine
                // the whole shutdown takes 3 ms (6-10 ms with the cores busy).
                await serviceGroup.triggerGracefulShutdown()
                try await tasks.next()
                // The client sees its stream end.
                #expect(await stream.eventsUntilEnd().isEmpty)
            }
        }
    }

    @Test func aSlowClientIsDroppedWhileOthersGetEverythingAndItResumesWithoutLoss() async throws {
        let store = InMemoryEventStore()
        let metrics = TestMetrics()
        let hub = EventStreamHub(store: store, bufferLimit: 16, metricsFactory: metrics, logger: quietLogger)
        let build: LiveServer.Build = { onServerRunning in
            let router = Router(context: HeraldRequestContext.self)
            EventsController(store: store, maxBodyBytes: 1 << 20).addRoutes(to: router.group("v1/events"))
            ServerSentEventsController(hub: hub, heartbeatInterval: .seconds(60))
                .addRoutes(to: router.group("v1/stream"))
            return Application(
                router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), services: [hub],
                onServerRunning: onServerRunning, logger: quietLogger)
        }
        try await LiveServer.run(build, within: .seconds(300)) { port in
            // The slow client connects, then reads nothing until the end.
            var slow = try await ServerSentEventsClient.connect(port: port, query: "after=0")
            let fast = try await ServerSentEventsClient.connect(port: port, query: "after=0")
            let fastReceived = Mutex<[Int64]>([])
            let fastReader = Task { [fast] in
                var fast = fast
                while let frame = try await fast.nextEvent() {
                    fastReceived.withLock { $0.append(frame.sequence ?? -1) }
                }
            }
            defer { fastReader.cancel() }
            let dropped = { metrics.counterTotal(label: "herald_stream_dropped_clients_total") }

            // 32 KiB events, 8 per round, until the slow client's socket buffers and its 16 messages are full.
            let padding = String(repeating: "x", count: 32 * 1024)
            var published: Int64 = 0
            for round in 0..<400 where dropped() == 0 {
                let batch = (0..<8).map { index in
                    Event(
                        id: "load-\(round)-\(index)", source: "/load", type: "load.tick",
                        data: Data(#"{"pad":"\#(padding)"}"#.utf8))
                }
                // A publish that waited for the slow client would never return: the deadline above fails it.
                #expect(try await publishBatch(port: port, batch) == 201)
                published += 8
                // Keep the fast client within its buffer: wait until it has everything so far.
                let target = published
                try await waitUntil("the fast client receives event \(target)") {
                    fastReceived.withLock { $0.last ?? 0 } >= target
                }
            }
            #expect(dropped() == 1)
            #expect(
                try metrics.expectCounter("herald_stream_dropped_clients_total", [("transport", "sse")]).totalValue == 1
            )
            #expect(fastReceived.withLock { $0 } == Array(1...published))

            // The slow client reads what reached it before the server closed its stream: a gapless prefix.
            let prefix = await slow.eventsUntilEnd().map { $0.sequence ?? -1 }
            let last = try #require(prefix.last)
            #expect(prefix == Array(1...last))
            #expect(last < published)

            // It resumes from there and gets the rest, exactly once.
            var resumed = try await ServerSentEventsClient.connect(
                port: port, headers: [("Last-Event-ID", "\(last)")])
            let rest = try await resumed.events(Int(published - last)).map(\.sequence)
            #expect(rest == (last + 1...published).map { Optional($0) })
        }
    }
}
