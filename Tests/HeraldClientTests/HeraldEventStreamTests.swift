import Foundation
import HTTPTypes
import Herald
import HeraldClient
import Hummingbird
import Testing

/// The SSE client against a server that sends fixed bytes, so that the wire format's corners are covered
/// whatever Herald's own server happens to send.
@Suite("HeraldEventStream on fixed SSE responses")
struct HeraldEventStreamTests {
    static func eventStream(_ chunks: [String]) -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/event-stream"],
            body: ResponseBody(contentsOf: chunks.map { ByteBuffer(string: $0) }))
    }

    static let first = #"{"specversion":"1.0","id":"e-1","source":"/shop","type":"orders.placed","data":{"n":1}}"#
    static let second = #"{"specversion":"1.0","id":"e-2","source":"/shop","type":"orders.paid","subject":"o-2"}"#

    @Test func readsEventsAcrossChunksCRLFCommentsAndMultiLineData() async throws {
        let server = FixtureServer()
        server.router.get("v1/stream") { _, _ in
            Self.eventStream([
                ": connected\r\n\r\n",
                "id: 7\r\nevent: orders.placed\r\ndata: \(Self.first.prefix(30))",
                "\(Self.first.dropFirst(30))\r",
                "\n\r\n: heartbeat\n\n",
                // One event's JSON over two data lines: joined with a line feed, still the same JSON.
                "id: 9\nevent: orders.paid\ndata: \(Self.second.prefix(40))\ndata: \(Self.second.dropFirst(40))\n\n",
                "id: 10\ndata: {\"never\":\"ended\"}\n",
            ])
        }
        try await server.run { client in
            var received: [StoredEvent] = []
            for try await stored in client.stream(reconnects: false) { received.append(stored) }
            #expect(received.map(\.sequence) == [7, 9])
            #expect(received.map(\.event.id) == ["e-1", "e-2"])
            #expect(received[0].event.data == Data(#"{"n":1}"#.utf8))
            #expect(received[1].event.subject == "o-2")
        }
    }

    @Test func sendsTopicAfterAndLastEventID() async throws {
        let server = FixtureServer()
        server.router.get("v1/stream") { request, _ -> Response in
            let topic = request.uri.queryParameters["topic"].map(String.init) ?? "-"
            let after = request.uri.queryParameters["after"].map(String.init) ?? "-"
            let lastEventID = request.headers[values: HTTPField.Name("Last-Event-ID")!].first ?? "-"
            let accept = request.headers[.accept] ?? "-"
            let subject = [topic, after, lastEventID, accept].joined(separator: " ")
            let event = #"{"specversion":"1.0","id":"x","source":"/s","type":"t","subject":"\#(subject)"}"#
            return Self.eventStream(["id: 1\ndata: \(event)\n\n"])
        }
        try await server.run { client in
            var subjects: [String?] = []
            for try await stored in client.stream(topic: "orders.>", after: 5, reconnects: false) {
                subjects.append(stored.event.subject)
            }
            for try await stored in client.stream(lastEventID: 12, reconnects: false) {
                subjects.append(stored.event.subject)
            }
            #expect(subjects == ["orders.> 5 - text/event-stream", "- - 12 text/event-stream"])
        }
    }

    @Test func refusedStreamThrowsTheProblemOnFirstNext() async throws {
        let server = FixtureServer()
        server.router.get("v1/stream") { _, _ -> Response in
            let body =
                #"{"type":"urn:herald:problem:invalid-query","title":"Invalid query","status":400,"detail":"bad topic"}"#
            return Response(
                status: .badRequest, headers: [.contentType: "application/problem+json; charset=utf-8"],
                body: .init(byteBuffer: .init(string: body)))
        }
        try await server.run { client in
            let error = await clientError { for try await _ in client.stream(topic: "a..b") {} }
            #expect(
                error?.problem
                    == HeraldProblem(
                        type: "urn:herald:problem:invalid-query", title: "Invalid query", status: 400,
                        detail: "bad topic"))
        }
    }

    @Test func answerThatIsNotAnEventStreamIsInvalid() async throws {
        let server = FixtureServer()
        server.router.get("v1/stream") { _, _ in "plain text" }
        try await server.run { client in
            let error = await clientError { for try await _ in client.stream(reconnects: false) {} }
            guard case .invalidResponse(_, let reason) = error else {
                Issue.record("expected invalidResponse, got \(String(describing: error))")
                return
            }
            #expect(reason.contains("text/event-stream"))
        }
    }

    @Test func messageWhoseIDIsNotASequenceIsInvalid() async throws {
        let server = FixtureServer()
        server.router.get("v1/stream") { _, _ in Self.eventStream(["id: seven\ndata: \(Self.first)\n\n"]) }
        try await server.run { client in
            let error = await clientError { for try await _ in client.stream(reconnects: false) {} }
            #expect(error?.description.contains("'seven'") == true)
        }
    }

    /// A stream server that sends one event per connection, resuming after `Last-Event-ID`: cleanly for
    /// the first, by breaking the connection for the second (as Herald drops a slow client), and
    /// refuses the third with a problem.
    static func resumingServer() -> FixtureServer {
        let server = FixtureServer()
        server.router.get("v1/stream") { request, _ -> Response in
            let resumeAfter = request.headers[values: HTTPField.Name("Last-Event-ID")!].first.flatMap { Int($0) }
            let after = request.uri.queryParameters["after"].map(String.init)
            switch resumeAfter {
            case nil:
                let event =
                    #"{"specversion":"1.0","id":"r-1","source":"/s","type":"t","subject":"after \#(after ?? "-")"}"#
                return Self.eventStream(["retry: 1\nid: 1\ndata: \(event)\n\n"])
            case 1:
                let event = #"{"specversion":"1.0","id":"r-2","source":"/s","type":"t"}"#
                return Response(
                    status: .ok, headers: [.contentType: "text/event-stream"],
                    body: ResponseBody { writer in
                        try await writer.write(ByteBuffer(string: "id: 2\ndata: \(event)\n\n"))
                        throw CancellationError()  // Closes the connection mid-stream.
                    })
            default:
                let problem = #"{"type":"urn:test:gone","title":"Gone","status":410,"detail":"after \#(resumeAfter!)"}"#
                return Response(
                    status: .gone, headers: [.contentType: "application/problem+json"],
                    body: .init(byteBuffer: .init(string: problem)))
            }
        }
        return server
    }

    @Test func reconnectsWithTheLastSequenceWhenTheServerEndsTheStream() async throws {
        try await Self.resumingServer().run { client in
            let (events, error) = try await withDeadline { () -> ([StoredEvent], HeraldClientError?) in
                var events: [StoredEvent] = []
                do {
                    for try await stored in client.stream(after: 0) { events.append(stored) }
                } catch let error as HeraldClientError {
                    return (events, error)
                }
                return (events, nil)
            }
            #expect(events.map(\.event.id) == ["r-1", "r-2"])
            #expect(events.first?.event.subject == "after 0")
            #expect(error?.problem?.detail == "after 2")
        }
    }

    @Test func withoutReconnectingABrokenConnectionThrows() async throws {
        try await Self.resumingServer().run { client in
            var events: [StoredEvent] = []
            let error = await clientError {
                for try await stored in client.stream(lastEventID: 1, reconnects: false) { events.append(stored) }
            }
            #expect(events.map(\.event.id) == ["r-2"])
            guard case .connectionFailed = error else {
                Issue.record("expected connectionFailed, got \(String(describing: error))")
                return
            }
        }
    }
}
