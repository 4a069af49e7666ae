import Foundation
import HTTPTypes
import Herald
import HeraldClient
import Hummingbird
import Testing

/// The groups and topics calls against a server answering in the shapes of issue 4's API, checking the
/// request bodies the client sends.
@Suite("HeraldClient groups and topics on fixed responses")
struct HeraldClientGroupsFixtureTests {
    static let event = #"{"specversion":"1.0","id":"e-1","source":"/shop","type":"orders.placed","data":{"n":1.50}}"#
    static let group =
        #"{"ack_timeout_ms":1500,"dead_letters":2,"in_flight":1,"lag":3,"max_attempts":4,"name":"billing","#
        + #""ordered":true,"start":"after:7","topic":"orders.>"}"#

    static func json(_ text: String) -> Response { json(.ok, text) }

    static func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: .init(string: text)))
    }

    /// Answers `answer` when the request's body is `expected`, else 400 with what it was.
    static func expecting(_ expected: String, _ answer: Response)
        -> @Sendable (Request, BasicRequestContext)
        async throws -> Response
    {
        { request, _ in
            let body = String(buffer: try await request.body.collect(upTo: 64 * 1024))
            guard body == expected, request.headers[.contentType] == "application/json" else {
                return json(.badRequest, #"{"got":"\#(body)"}"#)
            }
            return answer
        }
    }

    @Test func groupCallsSendAndReadTheAPIsShapes() async throws {
        let server = FixtureServer()
        let router = server.router
        router.put(
            "v1/groups/billing",
            use: Self.expecting(
                #"{"ack_timeout_ms":1500,"max_attempts":4,"ordered":true,"start":"after:7","topic":"orders.>"}"#,
                Self.json(.created, Self.group)))
        router.put(
            "v1/groups/same",
            use: Self.expecting(
                #"{"ack_timeout_ms":30000,"max_attempts":5,"ordered":false,"start":"time:2023-11-14T22:13:20Z","topic":"a"}"#,
                Self.json(.ok, Self.group)))
        router.get("v1/groups") { _, _ in Self.json(#"{"groups":[\#(Self.group)]}"#) }
        router.get("v1/groups/billing") { _, _ in Self.json(Self.group) }
        router.delete("v1/groups/billing") { _, _ in Response(status: .noContent) }
        router.post(
            "v1/groups/billing/poll",
            use: Self.expecting(
                #"{"max":10,"wait_ms":250}"#,
                Self.json(#"{"deliveries":[{"attempt":2,"delivery_id":"d-1","sequence":8,"event":\#(Self.event)}]}"#)))
        router.post(
            "v1/groups/billing/ack",
            use: Self.expecting(
                #"{"delivery_ids":["d-1","d-0"]}"#,
                Self.json(
                    #"{"results":[{"delivery_id":"d-1","outcome":"acked"},{"delivery_id":"d-0","outcome":"unknown"}],"#
                        + #""settled":1,"unknown":1}"#)))
        router.post(
            "v1/groups/billing/nack",
            use: Self.expecting(
                #"{"delay_ms":2500,"delivery_ids":["d-2"],"error":"card declined"}"#,
                Self.json(#"{"results":[{"delivery_id":"d-2","outcome":"nacked"}],"settled":1,"unknown":0}"#)))
        router.get("v1/groups/billing/dead-letters") { request, _ -> Response in
            guard request.uri.queryParameters["limit"] == "5" else { return Self.json(.badRequest, "{}") }
            return Self.json(
                #"{"dead_letters":[{"attempts":4,"last_error":null,"sequence":8,"event":\#(Self.event)}]}"#)
        }
        router.post(
            "v1/groups/billing/dead-letters/requeue",
            use: Self.expecting(#"{"sequences":[]}"#, Self.json(#"{"requeued":3}"#)))

        try await server.run { client in
            let billing = ConsumerGroupConfiguration(
                name: "billing", topic: try TopicPattern("orders.>"), start: .after(sequence: 7), maxAttempts: 4,
                ackTimeout: .milliseconds(1500), ordered: true)
            #expect(try await client.createGroup(billing) == .created)
            let same = ConsumerGroupConfiguration(
                name: "same", topic: try TopicPattern("a"), start: .time(Date(timeIntervalSince1970: 1_700_000_000)))
            #expect(try await client.createGroup(same) == .alreadyExists)

            let expected = ConsumerGroupStatus(
                name: "billing", topic: "orders.>", start: "after:7", maxAttempts: 4, ackTimeout: .milliseconds(1500),
                ordered: true, lag: 3, inFlight: 1, deadLetters: 2)
            #expect(try await client.groups() == [expected])
            #expect(try await client.group(named: "billing") == expected)

            let deliveries = try await client.poll(group: "billing", max: 10, wait: .milliseconds(250))
            #expect(deliveries.map(\.id) == ["d-1"])
            #expect(deliveries.map(\.attempt) == [2])
            #expect(deliveries.map(\.sequence) == [8])
            #expect(deliveries.first?.event.data == Data(#"{"n":1.50}"#.utf8))

            let acked = try await client.ack(group: "billing", deliveryIDs: ["d-1", "d-0"])
            #expect(acked == SettleResult(settled: 1, unknownDeliveryIDs: ["d-0"]))
            let nacked = try await client.nack(
                group: "billing", deliveryIDs: ["d-2"], delay: .milliseconds(2500), error: "card declined")
            #expect(nacked == SettleResult(settled: 1, unknownDeliveryIDs: []))

            let letters = try await client.deadLetters(group: "billing", limit: 5)
            #expect(letters.map(\.stored.sequence) == [8])
            #expect(letters.first?.attempts == 4)
            #expect(letters.first?.lastError == nil)
            #expect(try await client.requeueDeadLetters(group: "billing") == 3)
            try await client.deleteGroup(named: "billing")
        }
    }

    @Test func groupNamesArePercentEncodedIntoOnePathSegment() async throws {
        let server = FixtureServer()
        server.router.get("v1/groups/:name") { _, context -> Response in
            let name = try context.parameters.require("name")
            return Self.json(#"{"topic":">","lag":0,"in_flight":0,"dead_letters":0,"name":"\#(name)"}"#)
        }
        try await server.run { client in
            let group = try await client.group(named: "a/b c")
            #expect(group.name == "a%2Fb%20c")
        }
    }

    @Test func topicsAreRead() async throws {
        let server = FixtureServer()
        server.router.get("v1/topics") { _, _ in
            Self.json(
                #"{"topics":[{"count":1520,"last_sequence":20811,"rate_per_second":3.25,"type":"orders.placed"}]}"#)
        }
        try await server.run { client in
            let topics = try await client.topics()
            #expect(
                topics == [TopicSummary(type: "orders.placed", count: 1520, lastSequence: 20811, ratePerSecond: 3.25)])
        }
    }
}
