import Foundation
import HTTPTypes
import HeraldServer
import HeraldTesting
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite struct PublishEventsTests {
    @Test func structuredModeStoresTheEventAndAnswers201WithItsSequence() async throws {
        let server = ServerUnderTest()
        try await server.run { client in
            let response = try await client.execute(
                uri: "/v1/events", method: .post, headers: .structured,
                body: ByteBuffer(json: structuredEvent(id: "e-1")))
            #expect(response.status == .created)
            #expect(response.contentType == "application/json")
            let body = try response.decode(PublishBody.self)
            #expect(body.events == [.init(id: "e-1", source: "/shop", sequence: 1, duplicate: false)])
        }
        let page = try await server.store.read(after: 0, filter: .all, limit: 10)
        #expect(page.events.map(\.event.id) == ["e-1"])
        #expect(page.events.first?.event.data == Data(#"{"total":42}"#.utf8))
    }

    @Test func publishingTheSameEventAgainAnswersDuplicateWithTheOriginalSequence() async throws {
        let server = ServerUnderTest()
        try await server.run { client in
            for id in ["first", "again"] {
                try await client.execute(
                    uri: "/v1/events", method: .post, headers: .structured,
                    body: ByteBuffer(json: structuredEvent(id: id)))
            }
            let response = try await client.execute(
                uri: "/v1/events", method: .post, headers: .structured,
                body: ByteBuffer(json: structuredEvent(id: "first")))
            #expect(response.status == .created)
            let body = try response.decode(PublishBody.self)
            #expect(body.events == [.init(id: "first", source: "/shop", sequence: 1, duplicate: true)])
        }
        #expect(try await server.store.lastSequence() == 2)
    }

    @Test func aScheduledEventAnswersNullSequenceAndScheduled() async throws {
        try await ServerUnderTest().run { client in
            let event =
                #"{"specversion":"1.0","id":"later","source":"/shop","type":"orders.remind","#
                + #""deliverat":"2999-01-01T00:00:00Z"}"#
            let response = try await client.execute(
                uri: "/v1/events", method: .post, headers: .structured, body: ByteBuffer(json: event))
            #expect(response.status == .created)
            #expect(String(buffer: response.body).contains(#""sequence":null"#))
            let body = try response.decode(PublishBody.self)
            #expect(
                body.events == [.init(id: "later", source: "/shop", sequence: nil, duplicate: false, scheduled: true)])
        }
    }

    @Test func batchModeStoresEveryEventInOrder() async throws {
        let server = ServerUnderTest()
        try await server.run { client in
            let batch = "[\(structuredEvent(id: "a")),\(structuredEvent(id: "b"))]"
            let response = try await client.execute(
                uri: "/v1/events", method: .post, headers: .batch, body: ByteBuffer(json: batch))
            #expect(response.status == .created)
            let body = try response.decode(PublishBody.self)
            #expect(body.events.map(\.id) == ["a", "b"])
            #expect(body.events.map(\.sequence) == [1, 2])
        }
    }

    @Test func aBatchWithInvalidEventsStoresNothingAndNamesEachIndex() async throws {
        let server = ServerUnderTest()
        try await server.run { client in
            let missingID = #"{"specversion":"1.0","source":"/shop","type":"orders.placed"}"#
            let badExtension = #"{"specversion":"1.0","id":"x","source":"/shop","type":"t","Bad":"1"}"#
            let batch = "[\(structuredEvent(id: "a")),\(missingID),\(structuredEvent(id: "c")),\(badExtension)]"
            let response = try await client.execute(
                uri: "/v1/events", method: .post, headers: .batch, body: ByteBuffer(json: batch))
            #expect(response.status == .badRequest)
            #expect(response.contentType == ProblemDetails.mediaType)
            let problem = try response.decode(ProblemBody.self)
            #expect(problem.status == 400)
            #expect(problem.errors?.map(\.index) == [1, 3])
            #expect(problem.errors?.first?.attribute == "id")
            #expect(problem.detail.contains("nothing was stored"))
        }
        #expect(try await server.store.lastSequence() == 0)
    }

    @Test func binaryModeReadsPercentEncodedAndNonASCIIHeaders() async throws {
        let server = ServerUnderTest()
        try await server.run { client in
            let headers: HTTPFields = [
                HTTPField.Name("ce-specversion")!: "1.0",
                HTTPField.Name("ce-id")!: "b-1",
                HTTPField.Name("ce-source")!: "/caf%C3%A9",
                HTTPField.Name("ce-type")!: "orders.placed",
                HTTPField.Name("ce-subject")!: "caf%C3%A9 %25 off",
                HTTPField.Name("ce-time")!: "2024-05-01T10:00:00Z",
                HTTPField.Name("ce-partitionkey")!: "crème",
                .contentType: "text/plain; charset=utf-8",
            ]
            let response = try await client.execute(
                uri: "/v1/events", method: .post, headers: headers, body: ByteBuffer(string: "hello"))
            #expect(response.status == .created)
            #expect(try response.decode(PublishBody.self).events.first?.sequence == 1)
        }
        let event = try #require(try await server.store.read(after: 0, filter: .all, limit: 1).events.first?.event)
        #expect(event.id == "b-1")
        #expect(event.source == "/café")
        #expect(event.subject == "café % off")
        #expect(event.time == RFC3339.parse("2024-05-01T10:00:00Z"))
        #expect(event.extensions["partitionkey"] == .string("crème"))
        #expect(event.dataContentType == "text/plain; charset=utf-8")
        #expect(event.data == Data("hello".utf8))
    }

    @Test(arguments: [
        ("ce-id", "", "'ce-id'"),
        ("ce-time", "yesterday", "'ce-time'"),
        ("ce-subject", "caf%C3", "'ce-subject'"),
        ("ce-specversion", "0.3", "'ce-specversion'"),
    ])
    func binaryModeRejectsABadHeaderByName(header: String, value: String, named: String) async throws {
        try await ServerUnderTest().run { client in
            var headers: HTTPFields = [
                HTTPField.Name("ce-specversion")!: "1.0",
                HTTPField.Name("ce-id")!: "b-1",
                HTTPField.Name("ce-source")!: "/shop",
                HTTPField.Name("ce-type")!: "orders.placed",
            ]
            headers[HTTPField.Name(header)!] = value
            let response = try await client.execute(uri: "/v1/events", method: .post, headers: headers)
            #expect(response.status == .badRequest)
            let problem = try response.decode(ProblemBody.self)
            #expect(problem.detail.contains(named))
        }
    }

    @Test func malformedJSONAnswers400() async throws {
        try await ServerUnderTest().run { client in
            let response = try await client.execute(
                uri: "/v1/events", method: .post, headers: .structured, body: ByteBuffer(json: #"{"id": "#))
            #expect(response.status == .badRequest)
            let problem = try response.decode(ProblemBody.self)
            #expect(problem.detail.contains("not valid JSON"))
        }
    }

    @Test func aBodyOverTheLimitAnswers413() async throws {
        var server = ServerUnderTest()
        server.configuration.maxBodyBytes = 64
        try await server.run { client in
            let response = try await client.execute(
                uri: "/v1/events", method: .post, headers: .structured,
                body: ByteBuffer(json: structuredEvent(id: String(repeating: "x", count: 100))))
            #expect(response.status == .contentTooLarge)
            let problem = try response.decode(ProblemBody.self)
            #expect(problem.status == 413)
            #expect(problem.detail.contains("64 bytes"))
        }
        #expect(try await server.store.lastSequence() == 0)
    }

    @Test func anEventOf64KiBIsAcceptedUnderTheSmallestAllowedLimit() async throws {
        var server = ServerUnderTest()
        server.configuration.maxBodyBytes = HeraldServerConfiguration.minimumBodyLimit
        try server.configuration.validate()
        let envelope = structuredEvent(id: "big").utf8.count
        let padding = String(repeating: "x", count: 64 * 1024 - envelope - #",""#.utf8.count - 12)
        let event = structuredEvent(id: "big").replacingOccurrences(
            of: #""data":{"total":42}"#, with: #""data":{"total":42,"pad":"\#(padding)"}"#)
        #expect(event.utf8.count <= 64 * 1024)
        #expect(event.utf8.count > 64 * 1024 - 64)
        try await server.run { client in
            let response = try await client.execute(
                uri: "/v1/events", method: .post, headers: .structured, body: ByteBuffer(json: event))
            #expect(response.status == .created)
        }
    }

    @Test(arguments: [
        "application/cloudevents+json", " Application/CloudEvents+JSON ; charset=UTF-8",
        "application/cloudevents+json;",
    ])
    func theMediaTypeIgnoresCaseSpacesAndParameters(contentType: String) async throws {
        try await ServerUnderTest().run { client in
            let response = try await client.execute(
                uri: "/v1/events", method: .post, headers: [.contentType: contentType],
                body: ByteBuffer(json: structuredEvent(id: "1")))
            #expect(response.status == .created)
            #expect(
                String(buffer: response.body)
                    == #"{"events":[{"duplicate":false,"id":"1","sequence":1,"source":"/shop"}]}"#)
        }
    }

    @Test func anotherContentTypeAnswers415NamingTheAcceptedOnes() async throws {
        try await ServerUnderTest().run { client in
            let response = try await client.execute(
                uri: "/v1/events", method: .post, headers: [.contentType: "text/plain"],
                body: ByteBuffer(string: "hi"))
            #expect(response.status == .unsupportedMediaType)
            let problem = try response.decode(ProblemBody.self)
            #expect(problem.detail.contains(Event.jsonMediaType))
            #expect(problem.detail.contains(Event.jsonBatchMediaType))
            #expect(problem.detail.contains("ce-"))
        }
    }
}
