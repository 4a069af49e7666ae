import Foundation
import Herald
import HeraldClient
import Hummingbird
import Testing

@Suite("HeraldClient events")
struct HeraldClientEventsTests {
    @Test func publishOneEventReturnsItsSequenceAndARepeatIsADuplicate() async throws {
        let server = LiveServer()
        try await server.run { client, _ in
            let first = try await client.publish(orderEvent(id: "a-1"))
            #expect(first == PublishResult(id: "a-1", source: "/shop", sequence: 1, isDuplicate: false))
            let again = try await client.publish(orderEvent(id: "a-1"))
            #expect(again == PublishResult(id: "a-1", source: "/shop", sequence: 1, isDuplicate: true))
        }
        let page = try await server.store.read(after: 0, filter: EventFilter(), limit: 10)
        #expect(page.events.map(\.event) == [orderEvent(id: "a-1")])
    }

    @Test func publishSeveralEventsAsOneBatch() async throws {
        let server = LiveServer()
        try await server.run { client, _ in
            let results = try await client.publish([orderEvent(id: "b-1"), orderEvent(id: "b-2", type: "orders.paid")])
            #expect(results.map(\.id) == ["b-1", "b-2"])
            #expect(results.map(\.sequence) == [1, 2])
            #expect(try await client.publish([]) == [])
        }
    }

    @Test func invalidBatchThrowsTheProblemWithEachBadIndex() async throws {
        let server = LiveServer()
        try await server.run { client, _ in
            let bad = Event(id: "", source: "/shop", type: "orders.placed")
            let error = await clientError {
                _ = try await client.publish([orderEvent(id: "c-1"), bad, orderEvent(id: "c-3"), bad])
            }
            let problem = try #require(error?.problem)
            #expect(problem.status == 400)
            #expect(problem.type == "urn:herald:problem:invalid-event")
            #expect(problem.title == "Invalid event")
            #expect(problem.detail.contains("nothing was stored"))
            #expect(problem.errors.map(\.index) == [1, 3])
            #expect(problem.errors.first?.attribute == "id")
            #expect(error?.description.contains("event 3 'id'") == true)
        }
        #expect(try await server.store.read(after: 0, filter: EventFilter(), limit: 10).events.isEmpty)
    }

    @Test func queryFiltersPagesAndKeepsEachEventExactly() async throws {
        let server = LiveServer()
        try await server.run { client, _ in
            // Member order and number spelling in data survive only if the client decodes the event's own bytes.
            let exact = orderEvent(id: "q-1", subject: "order-1", data: #"{"z":1.50,"a":[1e2,"\u00e9"]}"#)
            _ = try await client.publish([
                exact, orderEvent(id: "q-2", type: "payments.captured"), orderEvent(id: "q-3", subject: "order-3"),
            ])
            let all = try await client.query()
            #expect(all.events.map(\.sequence) == [1, 2, 3])
            #expect(all.events.first?.event == exact)
            #expect(all.events.first?.event.data == Data(#"{"z":1.50,"a":[1e2,"\u00e9"]}"#.utf8))

            let orders = try await client.query(topic: "orders.>", limit: 1)
            #expect(orders.events.map(\.event.id) == ["q-1"])
            let next = try await client.query(topic: "orders.>", after: orders.nextAfter, limit: 1)
            #expect(next.events.map(\.event.id) == ["q-3"])

            #expect(try await client.query(subject: "order-3").events.map(\.event.id) == ["q-3"])
            #expect(try await client.query(source: "/elsewhere").events.isEmpty)
        }
    }

    @Test func queryByTimeRangeReturnsExactlyTheEventsInIt() async throws {
        let server = LiveServer()
        let base = Date(timeIntervalSince1970: 1_767_225_600.25)
        try await server.run { client, _ in
            _ = try await client.publish(
                (0..<6).map { second in
                    Event(
                        id: "r-\(second)", source: "/sensors", type: "sensor.reading", subject: "s-\(second % 2)",
                        time: base.addingTimeInterval(Double(second)))
                })
            let page = try await client.query(
                subject: "s-0", from: base.addingTimeInterval(2), until: base.addingTimeInterval(5))
            #expect(page.events.map(\.event.id) == ["r-2", "r-4"])
            #expect(try await client.query(from: base.addingTimeInterval(4)).events.map(\.event.id) == ["r-4", "r-5"])
            #expect(try await client.query(until: base.addingTimeInterval(1)).events.map(\.event.id) == ["r-0"])
        }
    }

    @Test func invalidQueryThrowsTheServersProblem() async throws {
        try await LiveServer().run { client, _ in
            let error = await clientError { _ = try await client.query(topic: "orders..placed") }
            #expect(error?.status == 400)
            #expect(error?.problem?.type == "urn:herald:problem:invalid-query")
            #expect(error?.problem?.detail.contains("'topic'") == true)

            let limit = await clientError { _ = try await client.query(limit: 5000) }
            #expect(limit?.problem?.detail.contains("'limit'") == true)

            let backwards = await clientError {
                _ = try await client.query(from: Date(timeIntervalSince1970: 10), until: Date(timeIntervalSince1970: 5))
            }
            #expect(backwards?.status == 400)
            #expect(backwards?.problem?.detail.contains("'time_from'") == true)
        }
    }

    @Test func errorWithoutAProblemBodyCarriesStatusAndText() async throws {
        let server = FixtureServer()
        server.router.get("v1/events") { _, _ -> Response in
            Response(
                status: .badGateway, headers: [.contentType: "text/plain"],
                body: .init(byteBuffer: .init(string: "upstream down")))
        }
        try await server.run { client in
            let error = await clientError { _ = try await client.query() }
            let url = client.baseURL.absoluteString + "/v1/events"
            #expect(error == .unexpectedStatus(url: url, status: 502, body: "upstream down"))
            #expect(error?.description == "\(url) answered HTTP 502: upstream down")

            let missing = await clientError { _ = try await client.groups() }
            #expect(missing?.status == 404)
            #expect(missing?.description.contains("no such endpoint") == true)
        }
    }

    @Test func responseThatIsNotHeraldsIsReportedAsInvalid() async throws {
        let server = FixtureServer()
        server.router.get("v1/events") { _, _ in #"{"events":[{"sequence":"one"}],"next_after":1}"# }
        try await server.run { client in
            let error = await clientError { _ = try await client.query() }
            guard case .invalidResponse(let url, let reason) = error else {
                Issue.record("expected invalidResponse, got \(String(describing: error))")
                return
            }
            #expect(url.hasSuffix("/v1/events"))
            #expect(reason.contains("'sequence'"))
        }
    }

    @Test func refusedConnectionNamesTheURLAndSuggestsHeraldServe() async throws {
        // Port 1 on loopback: nothing listens there, so the connection is refused at once.
        try await withHeraldClient(port: 1) { client in
            let error = await clientError { _ = try await client.publish(orderEvent(id: "x")) }
            guard case .connectionFailed(let url, _) = error else {
                Issue.record("expected connectionFailed, got \(String(describing: error))")
                return
            }
            #expect(url == "http://127.0.0.1:1/v1/events")
            #expect(error?.description.contains("herald serve") == true)
            #expect(error?.description.contains("http://127.0.0.1:1/v1/events") == true)
        }
    }

    @Test func baseURLPathIsKeptAndQueryValuesArriveIntact() async throws {
        let server = FixtureServer()
        server.router.get("prefix/v1/events") { request, _ -> Response in
            let query = request.uri.queryParameters
            let seen = ["topic", "source", "limit", "after"].map { (name: Substring) in
                "\(name)=\(query[name].map(String.init) ?? "nil")"
            }
            let expected = ["topic=orders.>", "source=/shop a+b&c=d", "limit=3", "after=nil"]
            guard seen == expected else {
                return Response(
                    status: .badRequest, body: .init(byteBuffer: .init(string: seen.joined(separator: " "))))
            }
            return Response(status: .ok, body: .init(byteBuffer: .init(string: #"{"events":[],"next_after":9}"#)))
        }
        try await server.run { client in
            let prefixed = HeraldClient(
                baseURL: try #require(URL(string: client.baseURL.absoluteString + "/prefix/")),
                httpClient: client.httpClient)
            let page = try await prefixed.query(topic: "orders.>", source: "/shop a+b&c=d", limit: 3)
            #expect(page == EventPage(events: [], nextAfter: 9))
        }
    }
}
