import Foundation
import Herald
import Testing

@Suite("Event.decodeBinaryMode: the ce-* headers of the CloudEvents HTTP binding")
struct EventBinaryModeTests {
    static let required: [(String, String)] = [
        ("ce-specversion", "1.0"), ("ce-id", "b-1"), ("ce-source", "/shop"), ("ce-type", "orders.placed"),
    ]

    static func decode(_ headers: [(String, String)], contentType: String? = nil, body: String = "")
        throws(EventDecodingError) -> Event
    {
        try Event.decodeBinaryMode(
            headers: headers.map { (name: $0.0, value: $0.1) }, contentType: contentType, body: Data(body.utf8))
    }

    static func decode(adding extra: [(String, String)], contentType: String? = nil, body: String = "")
        throws(EventDecodingError) -> Event
    {
        try decode(required + extra, contentType: contentType, body: body)
    }

    @Test func readsAttributesExtensionsAndBodyIgnoringOtherHeaders() throws {
        let event = try Self.decode(
            adding: [
                ("ce-subject", "caf%C3%A9"), ("ce-tenant", "acme"), ("accept", "*/*"),
                ("ce-time", "2024-05-01T10:00:00Z"),
            ],
            contentType: "text/plain", body: "hello")
        #expect(event.id == "b-1")
        #expect(event.subject == "café")
        #expect(event.extensions == ["tenant": .string("acme")])
        #expect(event.time == RFC3339.parse("2024-05-01T10:00:00Z"))
        #expect(event.dataContentType == "text/plain")
        #expect(event.data == Data("hello".utf8))
        #expect(try Self.decode(adding: []).data == nil, "an empty body is no data")
    }

    @Test(arguments: [
        ([("ce-id", "again")], "'ce-id' appears more than once"),
        ([("ce-subject", "100%")], "'ce-subject' is not validly percent-encoded"),
        ([("ce-subject", "%FF")], "'ce-subject' is not validly percent-encoded"),
        ([("ce-datacontenttype", "text/plain")], "Content-Type header carries datacontenttype"),
        ([("ce-time", "yesterday")], "'ce-time' must be an RFC 3339 timestamp"),
        ([("ce-dataschema", "no scheme")], "'ce-dataschema' must be an absolute URI"),
    ])
    func refusesABadHeaderNamingIt(extra: [(String, String)], reason: String) {
        do {
            _ = try Self.decode(adding: extra)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains(reason), "\(error)")
        }
    }

    @Test func refusesAMissingOrOtherSpecVersion() {
        let missing = Array(Self.required.dropFirst())
        #expect(throws: EventDecodingError.self) { _ = try Self.decode(missing) }
        do {
            _ = try Self.decode([("ce-specversion", "0.3")] + missing)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("must be '1.0'"))
        }
    }

    @Test func aHugeBadValueIsShortenedInTheMessage() {
        do {
            _ = try Self.decode(adding: [("ce-time", String(repeating: "9", count: 100_000) + "\r\n")])
            Issue.record("expected an error")
        } catch {
            #expect(error.description.utf8.count < 400)
            #expect(!error.description.contains("\r\n"))
        }
    }
}
