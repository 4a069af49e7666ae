import Foundation
import HTTPTypes
import HeraldServer
import HeraldTesting
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// The server over an in-memory store, driven through HummingbirdTesting's router mode (no socket).
struct ServerUnderTest {
    let store = InMemoryEventStore()
    var configuration = HeraldServerConfiguration()

    func run(_ test: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await buildHeraldApplication(store: store, configuration: configuration).test(.router) { client in
            try await test(client)
        }
    }
}

/// The body of a publish response.
struct PublishBody: Decodable, Equatable {
    struct Entry: Decodable, Equatable {
        var id: String
        var source: String
        var sequence: Int64?
        var duplicate: Bool
        var scheduled: Bool?
    }
    var events: [Entry]
}

/// The body of a read response, with each event decoded by `Event.decode(json:)`.
struct ReadBody {
    var events: [StoredEvent]
    var nextAfter: Int64

    init(_ response: TestResponse) throws {
        let object = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))
        let body = try #require(object as? [String: Any])
        let entries = try #require(body["events"] as? [[String: Any]])
        events = try entries.map { entry in
            let sequence = try #require(entry["sequence"] as? Int)
            let event = try JSONSerialization.data(withJSONObject: try #require(entry["event"]))
            return StoredEvent(sequence: Int64(sequence), event: try Event.decode(json: event))
        }
        nextAfter = Int64(try #require(body["next_after"] as? Int))
    }
}

/// An RFC 9457 problem body.
struct ProblemBody: Decodable {
    struct EventError: Decodable {
        var index: Int
        var attribute: String?
        var detail: String
    }
    var type: String
    var title: String
    var status: Int
    var detail: String
    var errors: [EventError]?
}

extension TestResponse {
    func decode<Body: Decodable>(_ type: Body.Type) throws -> Body {
        try JSONDecoder().decode(type, from: Data(body.readableBytesView))
    }

    var contentType: String? { headers[.contentType] }
}

extension HTTPFields {
    static let structured: HTTPFields = [.contentType: Event.jsonMediaType]
    static let batch: HTTPFields = [.contentType: Event.jsonBatchMediaType]
}

extension ByteBuffer {
    init(json text: String) {
        self.init(string: text)
    }
}

/// A valid event in the JSON format.
func structuredEvent(id: String, type: String = "orders.placed", source: String = "/shop") -> String {
    #"{"specversion":"1.0","id":"\#(id)","source":"\#(source)","type":"\#(type)","data":{"total":42}}"#
}
