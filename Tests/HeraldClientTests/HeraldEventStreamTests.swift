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
            for try await stored in client.stream() { received.append(stored) }
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
            for try await stored in client.stream(topic: "orders.>", after: 5) { subjects.append(stored.event.subject) }
            for try await stored in client.stream(lastEventID: 12) { subjects.append(stored.event.subject) }
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
            let error = await clientError { for try await _ in client.stream() {} }
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
            let error = await clientError { for try await _ in client.stream() {} }
            #expect(error?.description.contains("'seven'") == true)
        }
    }
}
