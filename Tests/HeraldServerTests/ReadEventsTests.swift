import Foundation
import HTTPTypes
import HeraldServer
import HeraldTesting
import HummingbirdTesting
import NIOCore
import Testing

@Suite struct ReadEventsTests {
    private func serverWithEvents(_ types: [String]) async throws -> ServerUnderTest {
        let server = ServerUnderTest()
        _ = try await server.store.append(
            types.enumerated().map { Event(id: "e-\($0.offset)", source: "/shop", type: $0.element) })
        return server
    }

    @Test func readsPageByPageWithNextAfter() async throws {
        let server = try await serverWithEvents(["orders.placed", "orders.paid", "orders.shipped"])
        try await server.run { client in
            let first = try await client.execute(uri: "/v1/events?limit=2", method: .get)
            #expect(first.status == .ok)
            let firstPage = try ReadBody(first)
            #expect(firstPage.events.map(\.sequence) == [1, 2])
            #expect(firstPage.events.map(\.event.id) == ["e-0", "e-1"])
            #expect(firstPage.nextAfter == 2)

            let second = try ReadBody(
                try await client.execute(uri: "/v1/events?after=\(firstPage.nextAfter)&limit=2", method: .get))
            #expect(second.events.map(\.event.type) == ["orders.shipped"])
            #expect(second.nextAfter == 3)
        }
    }

    @Test func filtersByTopicPatternAndSource() async throws {
        let server = try await serverWithEvents(["orders.placed", "payments.taken", "orders.paid"])
        try await server.run { client in
            let page = try ReadBody(
                try await client.execute(uri: "/v1/events?topic=orders.*&source=/shop", method: .get))
            #expect(page.events.map(\.event.type) == ["orders.placed", "orders.paid"])
            let none = try ReadBody(try await client.execute(uri: "/v1/events?source=/other", method: .get))
            #expect(none.events.isEmpty)
        }
    }

    @Test func filtersByTimeFromInclusiveToTimeUntilExclusive() async throws {
        let server = ServerUnderTest()
        let base = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01T00:00:00Z
        _ = try await server.store.append(
            (0..<5).map { minute in
                Event(
                    id: "t-\(minute)", source: "/sensors", type: "sensor.reading",
                    time: base.addingTimeInterval(Double(minute) * 60))
            } + [Event(id: "untimed", source: "/sensors", type: "sensor.reading")])
        try await server.run { client async throws in
            func ids(_ query: String) async throws -> [String] {
                try ReadBody(try await client.execute(uri: "/v1/events?\(query)", method: .get)).events.map(\.event.id)
            }
            #expect(
                try await ids("time_from=2026-01-01T00:01:00Z&time_until=2026-01-01T00:03:00Z") == ["t-1", "t-2"])
            #expect(try await ids("time_from=2026-01-01T00:03:00Z") == ["t-3", "t-4"])
            #expect(try await ids("time_until=2026-01-01T00:01:00.5Z") == ["t-0", "t-1"])
            #expect(try await ids("time_from=2026-01-01T01:01:00%2B01:00&time_until=2026-01-01T00:02:00Z") == ["t-1"])
            #expect(try await ids("time_from=2026-01-01T00:02:00Z&time_until=2026-01-01T00:02:00Z").isEmpty)
        }
    }

    /// The CloudEvents JSON format writes data that is neither JSON nor binary as a string in `data`: an SDK that
    /// reads `data_base64` hands its consumer bytes where the producer sent text.
    @Test func textPublishedInEitherModeIsReadBackAsAStringInData() async throws {
        try await ServerUnderTest().run { client in
            let structured = try await client.execute(
                uri: "/v1/events", method: .post, headers: .structured,
                body: ByteBuffer(
                    json: #"{"specversion":"1.0","id":"s-1","source":"/s","type":"notes.added","#
                        + #""datacontenttype":"text/plain","data":"just text"}"#))
            #expect(structured.status == .created)
            let binary = try await client.execute(
                uri: "/v1/events", method: .post,
                headers: [
                    HTTPField.Name("ce-specversion")!: "1.0", HTTPField.Name("ce-id")!: "b-1",
                    HTTPField.Name("ce-source")!: "/s", HTTPField.Name("ce-type")!: "notes.added",
                    .contentType: "application/xml",
                ],
                body: ByteBuffer(string: "<note>héllo</note>"))
            #expect(binary.status == .created)

            let response = try await client.execute(uri: "/v1/events", method: .get)
            let body = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))
            let events = try #require((body as? [String: Any])?["events"] as? [[String: Any]])
            let written = try events.map { try #require($0["event"] as? [String: Any]) }
            #expect(written.map { $0["data"] as? String } == ["just text", "<note>héllo</note>"])
            #expect(written.allSatisfy { $0["data_base64"] == nil })
        }
    }

    /// RFC 3339 allows years up to 9999 and down to 0000, beyond `Date.distantFuture` and `Date.distantPast`; a
    /// bound that far away once stopped the server when the other bound was left out.
    @Test(arguments: [
        ("time_from=5000-01-01T00:00:00Z", [String]()),
        ("time_from=9999-12-31T23:59:59Z", []),
        ("time_until=0000-06-01T00:00:00Z", []),
        ("time_until=0000-01-01T00:00:00Z", []),
        ("time_from=0000-01-01T00:00:00Z", ["t-0"]),
        ("time_until=9999-12-31T23:59:59Z", ["t-0"]),
        ("time_from=0000-01-01T00:00:00Z&time_until=9999-12-31T23:59:59Z", ["t-0"]),
        ("time_from=9999-12-31T23:59:59Z&time_until=9999-12-31T23:59:59Z", []),
    ])
    func timeBoundsAsFarAsRFC3339GoesAreAnsweredNotFatal(query: String, expected: [String]) async throws {
        let server = ServerUnderTest()
        _ = try await server.store.append([
            Event(id: "t-0", source: "/sensors", type: "sensor.reading", time: Date(timeIntervalSince1970: 0))
        ])
        try await server.run { client in
            let response = try await client.execute(uri: "/v1/events?\(query)", method: .get)
            #expect(response.status == .ok)
            #expect(try ReadBody(response).events.map(\.event.id) == expected)
        }
    }

    @Test(arguments: [
        ("time_from=yesterday", "'time_from'"),
        ("time_from=9999-12-31T23:59:59Z&time_until=0000-01-01T00:00:00Z", "'time_from'"),
        ("time_until=2026-13-01T00:00:00Z", "'time_until'"),
        ("time_from=2026-01-02T00:00:00Z&time_until=2026-01-01T00:00:00Z", "'time_from'"),
        ("topic=orders..placed", "'topic'"),
        ("limit=0", "'limit'"),
        ("limit=1001", "'limit'"),
        ("limit=ten", "'limit'"),
        ("after=-1", "'after'"),
    ])
    func anInvalidQueryAnswers400NamingTheParameter(query: String, named: String) async throws {
        try await ServerUnderTest().run { client in
            let response = try await client.execute(uri: "/v1/events?\(query)", method: .get)
            #expect(response.status == .badRequest)
            let problem = try response.decode(ProblemBody.self)
            #expect(problem.type == "urn:herald:problem:invalid-query")
            #expect(problem.detail.contains(named))
        }
    }
}
