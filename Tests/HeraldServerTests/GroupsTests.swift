import Foundation
import HTTPTypes
import HeraldSQLite
import HeraldServer
import HeraldTesting
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// The stores the server runs on in these tests.
enum StoreKind: String, CaseIterable, CustomStringConvertible {
    case memory, sqlite

    var description: String { rawValue }

    /// Runs `test` against a server over a fresh store of this kind, closing the store afterwards.
    func withServer(
        configuration: HeraldServerConfiguration = HeraldServerConfiguration(),
        _ test: @Sendable (any TestClientProtocol, any EventLog & ConsumerGroupStore) async throws -> Void
    ) async throws {
        switch self {
        case .memory:
            let store = InMemoryEventStore()
            try await buildHeraldApplication(store: store, configuration: configuration).test(.router) { client in
                try await test(client, store)
            }
        case .sqlite:
            let store = try await SQLiteEventStore.openTemporary()
            do {
                try await buildHeraldApplication(store: store, configuration: configuration).test(.router) { client in
                    try await test(client, store)
                }
            } catch {
                try? await store.close()
                throw error
            }
            try await store.close()
        }
    }
}

/// A response body as a JSON object.
func jsonObject(_ response: TestResponse) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
}

/// The body of a group response.
struct GroupBody: Decodable, Equatable {
    var name: String
    var topic: String
    var start: String
    var maxAttempts: Int
    var ackTimeoutMs: Int
    var ordered: Bool
    var lag: Int
    var inFlight: Int
    var deadLetters: Int
}

/// The body of an ack or nack response.
struct SettleBody: Decodable, Equatable {
    struct Result: Decodable, Equatable {
        var deliveryId: String
        var outcome: String
    }
    var settled: Int
    var unknown: Int
    var results: [Result]
}

/// One delivery of a poll response, its event read back by `Event.decode(json:)`.
struct DeliveryBody {
    var deliveryID: String
    var attempt: Int
    var sequence: Int64
    var event: Event

    static func list(_ response: TestResponse) throws -> [DeliveryBody] {
        let entries = try #require(try jsonObject(response)["deliveries"] as? [[String: Any]])
        return try entries.map { entry in
            DeliveryBody(
                deliveryID: try #require(entry["delivery_id"] as? String),
                attempt: try #require(entry["attempt"] as? Int),
                sequence: Int64(try #require(entry["sequence"] as? Int)),
                event: try Event.decode(json: JSONSerialization.data(withJSONObject: try #require(entry["event"]))))
        }
    }
}

extension TestClientProtocol {
    /// Sends `body` as JSON.
    func send(_ method: HTTPRequest.Method, _ uri: String, json body: String? = nil) async throws -> TestResponse {
        try await execute(
            uri: uri, method: method, headers: [.contentType: "application/json"],
            body: body.map { ByteBuffer(string: $0) })
    }

    /// Creates a group, expecting 201.
    func createGroup(_ name: String, _ settings: String, sourceLocation: SourceLocation = #_sourceLocation)
        async throws
    {
        let response = try await send(.put, "/v1/groups/\(name)", json: settings)
        #expect(response.status == .created, "\(String(buffer: response.body))", sourceLocation: sourceLocation)
    }

    /// Publishes structured events, expecting 201.
    func publish(_ ids: [String], type: String = "orders.placed") async throws {
        for id in ids {
            let response = try await execute(
                uri: "/v1/events", method: .post, headers: .structured,
                body: ByteBuffer(string: structuredEvent(id: id, type: type)))
            #expect(response.status == .created)
        }
    }

    func poll(_ group: String, _ body: String? = #"{"max":100}"#) async throws -> [DeliveryBody] {
        let response = try await send(.post, "/v1/groups/\(group)/poll", json: body)
        #expect(response.status == .ok, "\(String(buffer: response.body))")
        return try DeliveryBody.list(response)
    }

    func group(_ name: String) async throws -> GroupBody {
        let response = try await send(.get, "/v1/groups/\(name)")
        #expect(response.status == .ok)
        return try response.decodeSnakeCase(GroupBody.self)
    }
}

extension TestResponse {
    /// The body decoded with snake_case keys mapped to camelCase properties.
    func decodeSnakeCase<Body: Decodable>(_ type: Body.Type) throws -> Body {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(type, from: Data(body.readableBytesView))
    }
}

func idList(_ ids: [String]) -> String {
    "[" + ids.map { "\"\($0)\"" }.joined(separator: ",") + "]"
}

@Suite struct GroupsTests {
    @Test func createAnswers201ThenSameSettings200ThenOtherSettings409NamingEachDifference() async throws {
        try await ServerUnderTest().run { client in
            let created = try await client.send(.put, "/v1/groups/billing", json: #"{"topic":"orders.>"}"#)
            #expect(created.status == .created)
            #expect(created.contentType == "application/json")
            #expect(
                try created.decodeSnakeCase(GroupBody.self)
                    == GroupBody(
                        name: "billing", topic: "orders.>", start: "earliest", maxAttempts: 5, ackTimeoutMs: 30000,
                        ordered: false, lag: 0, inFlight: 0, deadLetters: 0))

            let same = try await client.send(
                .put, "/v1/groups/billing",
                json:
                    #"{"topic":"orders.>","start":"earliest","max_attempts":5,"ack_timeout_ms":30000,"ordered":false}"#
            )
            #expect(same.status == .ok)
            #expect(try same.decodeSnakeCase(GroupBody.self).name == "billing")

            let other = try await client.send(
                .put, "/v1/groups/billing", json: #"{"topic":"orders.*","max_attempts":3,"ordered":true}"#)
            #expect(other.status == .conflict)
            #expect(other.contentType == ProblemDetails.mediaType)
            let problem = try other.decode(ProblemBody.self)
            #expect(problem.type == "urn:herald:problem:group-conflict")
            #expect(problem.status == 409)
            #expect(problem.detail.contains("topic is 'orders.>', not 'orders.*'"))
            #expect(problem.detail.contains("max_attempts is 5, not 3"))
            #expect(problem.detail.contains("ordered is false, not true"))
            #expect(!problem.detail.contains("ack_timeout_ms is"))
            #expect(try await client.group("billing").maxAttempts == 5, "the group keeps its settings")
        }
    }

    @Test func allSettingsRoundTripIncludingStartForms() async throws {
        try await ServerUnderTest().run { client in
            let full = #"{"topic":"a.*","start":"latest","max_attempts":2,"ack_timeout_ms":1500,"ordered":true}"#
            try await client.createGroup("full", full)
            #expect(
                try await client.group("full")
                    == GroupBody(
                        name: "full", topic: "a.*", start: "latest", maxAttempts: 2, ackTimeoutMs: 1500,
                        ordered: true, lag: 0, inFlight: 0, deadLetters: 0))
            for start in ["after:7", "time:2026-01-02T03:04:05Z"] {
                let name = "start-\(start.prefix(4))"
                try await client.createGroup(name, #"{"topic":">","start":"\#(start)"}"#)
                #expect(try await client.group(name).start == start)
                let again = try await client.send(
                    .put, "/v1/groups/\(name)", json: #"{"topic":">","start":"\#(start)"}"#)
                #expect(again.status == .ok, "the shown start form reads back as the same setting")
            }
        }
    }

    @Test func startLatestSkipsEventsStoredBeforeTheGroup() async throws {
        try await ServerUnderTest().run { client in
            try await client.publish(["old"])
            try await client.createGroup("fresh", #"{"topic":"orders.>","start":"latest"}"#)
            try await client.createGroup("history", #"{"topic":"orders.>"}"#)
            try await client.publish(["new"])
            #expect(try await client.poll("fresh").map(\.event.id) == ["new"])
            #expect(try await client.poll("history").map(\.event.id) == ["old", "new"])
        }
    }

    @Test func listAndShowReportLagInFlightAndDeadLetters() async throws {
        try await ServerUnderTest().run { client in
            try await client.createGroup("zeta", #"{"topic":"orders.>","max_attempts":1}"#)
            try await client.createGroup("alpha", #"{"topic":"payments.>"}"#)
            try await client.publish(["o1", "o2", "o3", "o4"])
            try await client.publish(["p1"], type: "payments.taken")

            let leased = try await client.poll("zeta", #"{"max":3}"#)
            #expect(leased.count == 3)
            let nack = try await client.send(
                .post, "/v1/groups/zeta/nack", json: #"{"delivery_ids":["\#(leased[0].deliveryID)"],"error":"bad"}"#)
            #expect(nack.status == .ok)
            let ack = try await client.send(
                .post, "/v1/groups/zeta/ack", json: #"{"delivery_ids":["\#(leased[1].deliveryID)"]}"#)
            #expect(ack.status == .ok)

            // o1 dead, o2 acked, o3 in flight, o4 waiting.
            let zeta = try await client.group("zeta")
            #expect(zeta.lag == 2)
            #expect(zeta.inFlight == 1)
            #expect(zeta.deadLetters == 1)

            let list = try await client.send(.get, "/v1/groups")
            #expect(list.status == .ok)
            struct ListBody: Decodable { var groups: [GroupBody] }
            let groups = try list.decodeSnakeCase(ListBody.self).groups
            #expect(groups.map(\.name) == ["alpha", "zeta"], "sorted by name")
            #expect(groups.first?.lag == 1)
            #expect(groups.last == zeta)
        }
    }

    @Test func emptyListIsAnEmptyArray() async throws {
        try await ServerUnderTest().run { client in
            let response = try await client.send(.get, "/v1/groups")
            #expect(String(buffer: response.body) == #"{"groups":[]}"#)
        }
    }

    @Test func deleteAnswers204ThenTheGroupIsGone() async throws {
        try await ServerUnderTest().run { client in
            try await client.createGroup("doomed", #"{"topic":">"}"#)
            let deleted = try await client.send(.delete, "/v1/groups/doomed")
            #expect(deleted.status == .noContent)
            #expect(deleted.body.readableBytes == 0)
            let again = try await client.send(.delete, "/v1/groups/doomed")
            #expect(again.status == .notFound)
            let shown = try await client.send(.get, "/v1/groups/doomed")
            #expect(shown.status == .notFound)
            let problem = try shown.decode(ProblemBody.self)
            #expect(problem.type == "urn:herald:problem:group-not-found")
            #expect(problem.detail.contains("PUT /v1/groups/doomed"))
        }
    }

    @Test(arguments: [
        (HTTPRequest.Method.post, "/v1/groups/ghost/poll", #"{"max":1}"# as String?),
        (.post, "/v1/groups/ghost/ack", #"{"delivery_ids":["x"]}"#),
        (.post, "/v1/groups/ghost/nack", #"{"delivery_ids":["x"]}"#),
        (.get, "/v1/groups/ghost/dead-letters", nil),
        (.post, "/v1/groups/ghost/dead-letters/requeue", nil),
    ])
    func everyRouteOfAnUnknownGroupAnswers404(method: HTTPRequest.Method, uri: String, body: String?) async throws {
        try await ServerUnderTest().run { client in
            let response = try await client.send(method, uri, json: body)
            #expect(response.status == .notFound)
            #expect(try response.decode(ProblemBody.self).detail.contains("'ghost'"))
        }
    }

    @Test(arguments: StoreKind.allCases)
    func ackAndNackReportEachIdAndANackedEventComesBackAsAttempt2(store: StoreKind) async throws {
        try await store.withServer { client, _ in
            try await client.createGroup("workers", #"{"topic":"orders.>"}"#)
            try await client.publish(["first", "second"])
            let deliveries = try await client.poll("workers")
            #expect(deliveries.map(\.event.id) == ["first", "second"])
            #expect(deliveries.map(\.attempt) == [1, 1])
            #expect(deliveries.map(\.sequence) == [1, 2])
            #expect(deliveries[0].event.source == "/shop")
            let (first, second) = (deliveries[0].deliveryID, deliveries[1].deliveryID)

            let ack = try await client.send(
                .post, "/v1/groups/workers/ack", json: #"{"delivery_ids":\#(idList([first, "bogus", first]))}"#)
            #expect(ack.status == .ok)
            #expect(
                try ack.decodeSnakeCase(SettleBody.self)
                    == SettleBody(
                        settled: 1, unknown: 1,
                        results: [
                            .init(deliveryId: first, outcome: "acked"),
                            .init(deliveryId: "bogus", outcome: "unknown"),
                        ]
                    ))

            let nack = try await client.send(
                .post, "/v1/groups/workers/nack",
                json: #"{"delivery_ids":\#(idList([second, first])),"delay_ms":0,"error":"billing down"}"#)
            #expect(
                try nack.decodeSnakeCase(SettleBody.self)
                    == SettleBody(
                        settled: 1, unknown: 1,
                        results: [
                            .init(deliveryId: second, outcome: "nacked"),
                            .init(deliveryId: first, outcome: "unknown"),
                        ]
                    ))

            let redelivered = try await client.poll("workers")
            #expect(redelivered.map(\.event.id) == ["second"])
            #expect(redelivered.map(\.attempt) == [2])
            #expect(redelivered.map(\.sequence) == [2])
            #expect(redelivered.first?.deliveryID != second)
            let stale = try await client.send(
                .post, "/v1/groups/workers/ack", json: #"{"delivery_ids":\#(idList([second]))}"#)
            #expect(
                try stale.decodeSnakeCase(SettleBody.self).results.map(\.outcome) == ["unknown"], "the old id is dead")
            let empty = try await client.send(.post, "/v1/groups/workers/ack", json: #"{"delivery_ids":[]}"#)
            #expect(try empty.decodeSnakeCase(SettleBody.self) == SettleBody(settled: 0, unknown: 0, results: []))
        }
    }

    @Test(arguments: StoreKind.allCases)
    func deadLettersAfterMaxAttemptsThenRequeueBySequenceAndAll(store: StoreKind) async throws {
        try await store.withServer { client, _ in
            try await client.createGroup("fragile", #"{"topic":"orders.>","max_attempts":2}"#)
            try await client.publish(["a", "b"])
            for attempt in 1...2 {
                let deliveries = try await client.poll("fragile")
                #expect(deliveries.map(\.attempt) == [attempt, attempt])
                let nack = try await client.send(
                    .post, "/v1/groups/fragile/nack",
                    json: #"{"delivery_ids":\#(idList(deliveries.map(\.deliveryID))),"error":"failure \#(attempt)"}"#)
                #expect(try nack.decodeSnakeCase(SettleBody.self).settled == 2)
            }
            #expect(try await client.poll("fragile").isEmpty)
            #expect(try await client.group("fragile").deadLetters == 2)

            let listed = try await client.send(.get, "/v1/groups/fragile/dead-letters")
            #expect(listed.status == .ok)
            let letters = try #require(try jsonObject(listed)["dead_letters"] as? [[String: Any]])
            #expect(letters.map { $0["sequence"] as? Int } == [1, 2])
            #expect(letters.map { $0["attempts"] as? Int } == [2, 2])
            #expect(letters.map { $0["last_error"] as? String } == ["failure 2", "failure 2"])
            let event = try Event.decode(
                json: JSONSerialization.data(withJSONObject: try #require(letters[0]["event"])))
            #expect(event.id == "a")
            #expect(event.type == "orders.placed")
            let limited = try await client.send(.get, "/v1/groups/fragile/dead-letters?limit=1")
            #expect((try jsonObject(limited)["dead_letters"] as? [Any])?.count == 1)

            let one = try await client.send(
                .post, "/v1/groups/fragile/dead-letters/requeue", json: #"{"sequences":[2]}"#)
            #expect(one.status == .ok)
            #expect(String(buffer: one.body) == #"{"requeued":1}"#)
            let requeued = try await client.poll("fragile")
            #expect(requeued.map(\.event.id) == ["b"])
            #expect(requeued.map(\.attempt) == [1], "a requeued event starts its attempts again")
            #expect(try await client.group("fragile").deadLetters == 1)

            let all = try await client.send(
                .post, "/v1/groups/fragile/dead-letters/requeue", json: #"{"sequences":[]}"#)
            #expect(String(buffer: all.body) == #"{"requeued":1}"#)
            let none = try await client.send(.post, "/v1/groups/fragile/dead-letters/requeue")
            #expect(String(buffer: none.body) == #"{"requeued":0}"#)
            #expect(try await client.group("fragile").deadLetters == 0)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aPollAcknowledgesWhatItIsGivenAndSaysWhichWereCurrent(store: StoreKind) async throws {
        try await store.withServer { client, _ in
            try await client.createGroup("steady", #"{"topic":"orders.>"}"#)
            try await client.publish(["a", "b", "c"])
            let first = try await client.poll("steady", #"{"max":2}"#)
            #expect(first.map(\.event.id) == ["a", "b"])

            let ids = idList(first.map(\.deliveryID) + ["bogus"])
            let response = try await client.send(.post, "/v1/groups/steady/poll", json: #"{"max":2,"ack":\#(ids)}"#)
            #expect(response.status == .ok)
            let acks = try JSONSerialization.data(withJSONObject: try #require(try jsonObject(response)["acks"]))
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            #expect(
                try decoder.decode(SettleBody.self, from: acks)
                    == SettleBody(
                        settled: 2, unknown: 1,
                        results: [
                            .init(deliveryId: first[0].deliveryID, outcome: "acked"),
                            .init(deliveryId: first[1].deliveryID, outcome: "acked"),
                            .init(deliveryId: "bogus", outcome: "unknown"),
                        ]))
            let second = try DeliveryBody.list(response)
            #expect(second.map(\.event.id) == ["c"])

            // The last acknowledgement comes with a poll that finds nothing, and still counts.
            let last = try await client.send(
                .post, "/v1/groups/steady/poll", json: #"{"ack":\#(idList(second.map(\.deliveryID)))}"#)
            #expect(try DeliveryBody.list(last).isEmpty)
            #expect((try jsonObject(last)["acks"] as? [String: Any])?["settled"] as? Int == 1)
            let group = try await client.group("steady")
            #expect(group.lag == 0)
            #expect(group.inFlight == 0)

            // Without `ack` the answer has no `acks`.
            let plain = try await client.send(.post, "/v1/groups/steady/poll", json: #"{"max":1}"#)
            #expect(String(buffer: plain.body) == #"{"deliveries":[]}"#)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func seekReplaysOrSkipsAndEndsTheLeases(store: StoreKind) async throws {
        try await store.withServer { client, _ in
            try await client.createGroup("replay", #"{"topic":"orders.>"}"#)
            try await client.publish(["a", "b", "c"])
            let leased = try await client.poll("replay", #"{"max":2}"#)

            let latest = try await client.send(.post, "/v1/groups/replay/seek", json: #"{"to":"latest"}"#)
            #expect(latest.status == .ok, "\(String(buffer: latest.body))")
            let moved = try jsonObject(latest)
            #expect(moved["position"] as? Int == 3)
            #expect((moved["group"] as? [String: Any])?["in_flight"] as? Int == 0)
            #expect((moved["group"] as? [String: Any])?["lag"] as? Int == 0)
            let stale = try await client.send(
                .post, "/v1/groups/replay/ack", json: #"{"delivery_ids":\#(idList(leased.map(\.deliveryID)))}"#)
            #expect(try stale.decodeSnakeCase(SettleBody.self).settled == 0, "a seek ends the leases")
            #expect(try await client.poll("replay").isEmpty)

            let after = try await client.send(.post, "/v1/groups/replay/seek", json: #"{"to":"after:1"}"#)
            #expect(try jsonObject(after)["position"] as? Int == 1)
            #expect(try await client.poll("replay").map(\.event.id) == ["b", "c"])

            let earliest = try await client.send(.post, "/v1/groups/replay/seek", json: #"{"to":"earliest"}"#)
            #expect(try jsonObject(earliest)["position"] as? Int == 0)
            #expect(try await client.poll("replay").map(\.event.id) == ["a", "b", "c"])

            let time = try await client.send(
                .post, "/v1/groups/replay/seek", json: #"{"to":"time:2999-01-01T00:00:00Z"}"#)
            #expect(try jsonObject(time)["position"] as? Int == 3, "a time after every event is the end")

            let missing = try await client.send(.post, "/v1/groups/nobody/seek", json: #"{"to":"latest"}"#)
            #expect(missing.status == .notFound)
        }
    }

    @Test func anEmptyPollBodyTakesAtMost100WithoutWaiting() async throws {
        try await ServerUnderTest().run { client in
            try await client.createGroup("bulk", #"{"topic":"orders.>"}"#)
            try await client.publish((0..<120).map { "e\($0)" })
            #expect(try await client.poll("bulk", nil).count == 100)
            #expect(try await client.poll("bulk", #"{"max":5}"#).count == 5)
            #expect(try await client.poll("bulk", "").count == 15)
            let started = ContinuousClock.now
            #expect(try await client.poll("bulk", nil).isEmpty)
            // A default wait would be seconds long (30 s, say): far above this bound, which a loaded machine meets.
            #expect(ContinuousClock.now - started < .seconds(10), "wait_ms defaults to 0")
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aPollWithNothingToDeliverAnswersAnEmptyListWhenTheWaitEnds(store: StoreKind) async throws {
        try await store.withServer { client, _ in
            try await client.createGroup("idle", #"{"topic":"orders.>"}"#)
            let started = ContinuousClock.now
            let response = try await client.send(.post, "/v1/groups/idle/poll", json: #"{"max":10,"wait_ms":150}"#)
            let elapsed = ContinuousClock.now - started
            #expect(String(buffer: response.body) == #"{"deliveries":[]}"#)
            #expect(elapsed >= .milliseconds(140), "waited \(elapsed)")
            // What this tells apart: a poll that ends when its wait does from one that ignores wait_ms and waits
            // the 60 s maximum. Half of that, since the full suite has been seen to hold a 150 ms poll up for 8 s.
            #expect(elapsed < .seconds(30), "waited \(elapsed): wait_ms was ignored")
        }
    }
}
