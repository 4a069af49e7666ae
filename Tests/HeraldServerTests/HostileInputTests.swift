import AsyncHTTPClient
import Foundation
import HTTPTypes
import HeraldSQLite
import HeraldServer
import HeraldTesting
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// Input built to break the server: each request gets a clear 4xx (or is stored verbatim when it is valid), the
/// server keeps serving, and the events stored before are all still there.
@Suite("hostile input over HTTP")
struct HostileInputTests {
    /// Publishes `body` as `contentType` and returns the response.
    static func publish(
        _ client: any TestClientProtocol, _ body: some Collection<UInt8>, contentType: String = Event.jsonMediaType
    ) async throws -> TestResponse {
        try await client.execute(
            uri: "/v1/events", method: .post, headers: [.contentType: contentType], body: ByteBuffer(bytes: body))
    }

    /// Publishes a valid event first, runs `body`, then checks that the server still accepts an event and that
    /// both valid events are stored, so that hostile input lost nothing.
    static func survives(
        _ kind: StoreKind, _ body: @Sendable (any TestClientProtocol, any EventLog) async throws -> Void
    ) async throws {
        try await kind.withServer { client, store in
            #expect(try await publish(client, Data(structuredEvent(id: "before").utf8)).status == .created)
            try await body(client, store)
            #expect(try await publish(client, Data(structuredEvent(id: "after").utf8)).status == .created)
            let ids = try await store.read(after: 0, filter: .all, limit: 100).events.map(\.event.id)
            #expect(ids.first == "before")
            #expect(ids.last == "after")
        }
    }

    /// The problem in a 400 response, after checking the status and that the detail stays short.
    static func problem(_ response: TestResponse, sourceLocation: SourceLocation = #_sourceLocation) throws
        -> ProblemBody
    {
        #expect(response.status == .badRequest, sourceLocation: sourceLocation)
        let problem = try response.decode(ProblemBody.self)
        #expect(
            problem.detail.utf8.count < 2048, "a hostile value must not flood the answer",
            sourceLocation: sourceLocation)
        return problem
    }

    @Test(arguments: StoreKind.allCases)
    func deeplyNestedJSONIsRefused(kind: StoreKind) async throws {
        try await Self.survives(kind) { client, _ in
            for (open, contentType) in [("[", Event.jsonBatchMediaType), ("{\"a\":", Event.jsonMediaType)] {
                let nested = String(repeating: open, count: 100_000)
                let response = try await Self.publish(client, Data(nested.utf8), contentType: contentType)
                #expect(try Self.problem(response).detail.contains("nest"))
            }
            let inData =
                #"{"specversion":"1.0","id":"n","source":"/s","type":"t","data":"#
                + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
            #expect(try Self.problem(try await Self.publish(client, Data(inData.utf8))).detail.contains("nest"))
        }
    }

    @Test(arguments: StoreKind.allCases)
    func hugeNumbersAreRefusedClearlyOrKeptVerbatimInData(kind: StoreKind) async throws {
        try await Self.survives(kind) { client, store in
            for (number, reason) in [
                ("1e999999", "number 1e999999 is out of range"),
                ("123456789012345678901234567890", "'big' must be a string, a boolean or a 32-bit integer, got 1.23"),
                ("2147483648", "'big' must fit a signed 32-bit integer"),
                ("0.5", "'big' must be a string, a boolean or a 32-bit integer"),
            ] {
                let event = #"{"specversion":"1.0","id":"x","source":"/s","type":"t","big":\#(number)}"#
                let detail = try Self.problem(try await Self.publish(client, Data(event.utf8))).detail
                #expect(detail.contains(reason), "\(detail)")
            }
            let outOfRange = #"{"specversion":"1.0","id":"r","source":"/s","type":"t","data":[-1e400]}"#
            let detail = try Self.problem(try await Self.publish(client, Data(outOfRange.utf8))).detail
            #expect(detail.contains("out of range"))

            let data = #"{"m":123456789012345678901234567890,"e":1.5e300,"z":-0.0}"#
            let event = #"{"specversion":"1.0","id":"d","source":"/s","type":"t","data":\#(data)}"#
            #expect(try await Self.publish(client, Data(event.utf8)).status == .created)
            let stored = try await store.read(after: 0, filter: .all, limit: 10).events.map(\.event)
            #expect(stored.first { $0.id == "d" }?.data == Data(data.utf8))
        }
    }

    @Test(arguments: StoreKind.allCases)
    func invalidUTF8IsRefusedInJSONAndInHeadersButKeptAsBinaryData(kind: StoreKind) async throws {
        try await Self.survives(kind) { client, _ in
            var event = Array(#"{"specversion":"1.0","id":"u","source":"/s","type":"t","subject":""#.utf8)
            event += [0xC3, 0x28, 0xFF] + Array(#""}"#.utf8)
            #expect(try Self.problem(try await Self.publish(client, event)).detail.contains("UTF-8"))

            let badHeader: HTTPFields = [
                HTTPField.Name("ce-specversion")!: "1.0", HTTPField.Name("ce-id")!: "u",
                HTTPField.Name("ce-source")!: "/s", HTTPField.Name("ce-type")!: "t",
                HTTPField.Name("ce-subject")!: "%FF%FE",
            ]
            let response = try await client.execute(uri: "/v1/events", method: .post, headers: badHeader)
            #expect(try Self.problem(response).detail.contains("'ce-subject'"))

            let binaryData: [UInt8] = [0xFF, 0x00, 0xC3, 0x28, 0x0D, 0x0A]
            var binary = badHeader
            binary[HTTPField.Name("ce-subject")!] = "ok"
            binary[HTTPField.Name("ce-id")!] = "binary"
            binary[.contentType] = "application/octet-stream"
            let stored = try await client.execute(
                uri: "/v1/events", method: .post, headers: binary, body: ByteBuffer(bytes: binaryData))
            #expect(stored.status == .created)
            let read = try await client.execute(uri: "/v1/events?after=0", method: .get)
            #expect(try ReadBody(read).events.first { $0.event.id == "binary" }?.event.data == Data(binaryData))
        }
    }

    @Test(arguments: StoreKind.allCases)
    func nulBytesAreRefusedWhereTheyCannotBeAndKeptVerbatimWhereTheyCan(kind: StoreKind) async throws {
        try await Self.survives(kind) { client, store in
            let inSource = #"{"specversion":"1.0","source":"/s\u0000x","id":"n1","type":"t"}"#
            let sourceProblem = try Self.problem(try await Self.publish(client, Data(inSource.utf8)))
            #expect(sourceProblem.detail.contains("'source'"))
            #expect(!sourceProblem.detail.contains("\u{0}"), "the NUL is escaped in the answer")
            let inName = #"{"specversion":"1.0","source":"/s","id":"n2","type":"t","a\u0000b":"x"}"#
            let nameProblem = try Self.problem(try await Self.publish(client, Data(inName.utf8)))
            #expect(nameProblem.detail.contains("not a valid extension attribute name"))
            let withNUL =
                #"{"specversion":"1.0","source":"/s","id":"n\u0000id","type":"t\u0000t","#
                + #""subject":"s\u0000s","tenant":"x\u0000y","data":"d\u0000d"}"#
            #expect(try await Self.publish(client, Data(withNUL.utf8)).status == .created)
            let stored = try await store.read(after: 0, filter: .all, limit: 10).events.map(\.event)
            let event = try #require(stored.first { $0.id == "n\u{0}id" })
            #expect(event.type == "t\u{0}t")
            #expect(event.subject == "s\u{0}s")
            #expect(event.extensions["tenant"] == .string("x\u{0}y"))
            #expect(event.data == Data(#""d\u0000d""#.utf8))
            let bySubject = try ReadBody(
                try await client.execute(uri: "/v1/events?after=0&subject=s%00s", method: .get))
            #expect(bySubject.events.map(\.event.id) == ["n\u{0}id"])
        }
    }

    @Test(arguments: StoreKind.allCases)
    func extremelyLongAttributeValuesAreStoredOrRefusedBriefly(kind: StoreKind) async throws {
        try await Self.survives(kind) { client, _ in
            let long = String(repeating: "s", count: 900_000)
            let accepted = #"{"specversion":"1.0","id":"long","source":"/s","type":"t","subject":"\#(long)"}"#
            #expect(try await Self.publish(client, Data(accepted.utf8)).status == .created)
            let read = try ReadBody(try await client.execute(uri: "/v1/events?after=0", method: .get))
            #expect(read.events.first { $0.event.id == "long" }?.event.subject == long)

            let refused = #"{"specversion":"1.0","id":"bad","source":"/\#(long) x","type":"t"}"#
            let problem = try Self.problem(try await Self.publish(client, Data(refused.utf8)))
            #expect(problem.detail.contains("'source'"))

            let headers: HTTPFields = [
                HTTPField.Name("ce-specversion")!: "1.0", HTTPField.Name("ce-id")!: "h",
                HTTPField.Name("ce-source")!: "/s", HTTPField.Name("ce-type")!: "t",
                HTTPField.Name("ce-time")!: String(repeating: "9", count: 60_000),
            ]
            let response = try await client.execute(uri: "/v1/events", method: .post, headers: headers)
            #expect(try Self.problem(response).detail.contains("'ce-time'"))
        }
    }

    @Test(arguments: StoreKind.allCases)
    func lineBreaksInAttributesCannotInjectHeadersOrStreamFields(kind: StoreKind) async throws {
        try await kind.withServer { client, _ in
            let headers: HTTPFields = [
                HTTPField.Name("ce-specversion")!: "1.0", HTTPField.Name("ce-id")!: "crlf%0D%0ASet-Cookie:%20a=1",
                HTTPField.Name("ce-source")!: "/s", HTTPField.Name("ce-type")!: "orders%0Aid:%20999%0Adata:%20x",
                HTTPField.Name("ce-subject")!: "a%0D%0A%0D%0Ab",
            ]
            let published = try await client.execute(uri: "/v1/events", method: .post, headers: headers)
            #expect(published.status == .created)
            #expect(published.headers[HTTPField.Name("Set-Cookie")!] == nil)
            let read = try await client.execute(uri: "/v1/events?after=0", method: .get)
            #expect(read.headers[HTTPField.Name("Set-Cookie")!] == nil)
            let event = try #require(try ReadBody(read).events.first?.event)
            #expect(event.id == "crlf\r\nSet-Cookie: a=1")
            #expect(event.subject == "a\r\n\r\nb")
        }
    }

    @Test func lineBreaksInATypeStayInsideOneServerSentEvent() async throws {
        let store = InMemoryEventStore()
        _ = try await store.append(
            Event(id: "1", source: "/s", type: "orders\nid: 999\ndata: injected\n\nevent: x", subject: "a\r\nb"))
        try await LiveServer.run(LiveServer.herald(store: store)) { port in
            var stream = try await ServerSentEventsClient.connect(port: port, query: "after=0")
            let frame = try #require(try await stream.nextEvent())
            #expect(frame.id == "1")
            #expect(frame.event == "orders id: 999 data: injected  event: x")
            let event = try Event.decode(json: Data(try #require(frame.data).utf8))
            #expect(event.subject == "a\r\nb")
        }
    }

    @Test(.timeLimit(.minutes(5)))
    func rawLineBreaksInHeaderValuesAreRefusedAsMalformedHTTP() async throws {
        try await buildHeraldApplication(store: InMemoryEventStore()).test(.live) { client in
            let port = try #require(client.port)
            let request =
                "POST /v1/events HTTP/1.1\r\nHost: x\r\nce-specversion: 1.0\r\nce-id: a\rSet-Cookie: x=1\r\n"
                + "ce-source: /s\r\nce-type: t\r\nContent-Length: 0\r\n\r\n"
            let answer = try await MalformedRequestTests.exchange(Array(request.utf8), port: port)
            #expect(answer.hasPrefix("HTTP/1.1 400"), "\(answer.prefix(200))")
            #expect(!answer.contains("Set-Cookie"))
        }
    }

    @Test(.timeLimit(.minutes(5)), arguments: StoreKind.allCases)
    func patternsBuiltToBeSlowAreAnsweredPromptly(kind: StoreKind) async throws {
        try await kind.withServer { client, store in
            let longType = Array(repeating: "a", count: TopicPattern.maximumTokenCount - 1).joined(separator: ".")
            let batch = (0..<500).map { Event(id: "p\($0)", source: "/s", type: longType + ".\($0 % 7)") }
            _ = try await store.append(batch)
            let stars = Array(repeating: "*", count: TopicPattern.maximumTokenCount).joined(separator: ".")
            let starsThenRest =
                Array(repeating: "*", count: TopicPattern.maximumTokenCount - 1)
                .joined(separator: ".") + ".>"
            for (pattern, matches) in [(stars, 500), (starsThenRest, 500), (longType + ".b", 0)] {
                let response = try await client.execute(
                    uri: "/v1/events?after=0&limit=1000&topic=\(pattern)", method: .get)
                #expect(response.status == .ok)
                #expect(try ReadBody(response).events.count == matches)
            }
            let tooLong = String(repeating: "a.", count: TopicPattern.maximumLength) + "a"
            let response = try await client.execute(uri: "/v1/events?topic=\(tooLong)", method: .get)
            #expect(try Self.problem(response).detail.contains("'topic'"))
        }
    }

    @Test(arguments: StoreKind.allCases)
    func sqlMetaCharactersInEveryAttributeAreStoredAndFilteredVerbatim(kind: StoreKind) async throws {
        try await kind.withServer { client, store in
            let hostile = #"'; DROP TABLE events; -- \ $1 " % _ * ? [x] ${x} `x` \u0007"#
            let uriSafe = "'%3B--$1%25_*?[x]$%7Bx%7D"
            var original = Event(
                id: hostile, source: "/src" + uriSafe, type: "orders.x" + hostile, subject: hostile,
                time: RFC3339.parse("2024-05-01T10:00:00Z"), dataContentType: "text/plain;x=\"';--\"",
                dataSchema: "https://example.com/" + uriSafe, data: Data(hostile.utf8))
            original.partitionKey = hostile
            original.extensions["tenant"] = .string(hostile)
            let published = try await Self.publish(client, original.jsonData())
            #expect(published.status == .created)
            let all = try await store.read(after: 0, filter: .all, limit: 10).events.map(\.event)
            #expect(all == [original])
            let query = "subject=\(Self.percentEncoded(hostile))&source=\(Self.percentEncoded(original.source))"
            let filtered = try ReadBody(try await client.execute(uri: "/v1/events?after=0&\(query)", method: .get))
            #expect(filtered.events.map(\.event) == [original])
            let none = try ReadBody(try await client.execute(uri: "/v1/events?after=0&subject=%25", method: .get))
            #expect(none.events.isEmpty, "'%' is no wildcard")
        }
    }

    static func percentEncoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }
}
