import AsyncHTTPClient
import Foundation
import Herald
import HeraldServer
import HeraldTesting
import NIOCore
import NIOHTTP1
import Testing

/// API keys limited to topics per scope, over real HTTP: every endpoint refuses what is outside with a 403 that
/// names the key and what it asked for, and nothing else.
@Suite struct TopicScopeTests {
    /// Publishes `orders.>`, reads `sensors.>` and `alerts.*`, administers `sensors.>`.
    static let limited = try! APIKey(
        parsing: "ci:ci-secret-0000000001:publish=orders.>,subscribe=sensors.>|alerts.*,admin=sensors.>")
    /// Every scope, every topic.
    static let operatorKey = APIKey(name: "ops", secret: "ops-secret-000000000002", scopes: Set(APIKey.Scope.all))

    var server: AccessServer { AccessServer(keys: [Self.limited, Self.operatorKey]) }

    /// Events of several types, stored before the test: one readable by the limited key, two not.
    static let seeded = [
        accessEvent("s1", type: "sensors.temperature"), accessEvent("hidden-77", type: "payments.refunded"),
        accessEvent("o1", type: "orders.placed"),
    ]

    func seeded() async throws -> AccessServer {
        let server = server
        _ = try await server.store.append(Self.seeded)
        return server
    }

    /// What a 403 must never contain: the types and ids of events outside the key's topics.
    static func expectRevealsNothing(_ answer: AccessClient.Answer) {
        for hidden in ["refunded", "hidden-77"] { #expect(!answer.body.contains(hidden), "\(answer.body)") }
        #expect(!answer.body.contains(limited.secret))
    }

    @Test func publishingInsideThePublishTopicsIsStoredAndOutsideIs403NamingKeyAndType() async throws {
        let server = server
        try await server.run { client in
            let inside = try await client.publish([accessEvent("1", type: "orders.placed")], key: Self.limited)
            #expect(inside.status == 201)
            let outside = try await client.publish([accessEvent("2", type: "payments.refunded")], key: Self.limited)
            #expect(outside.status == 403)
            let problem = try outside.problem
            #expect(problem.detail.contains("'ci'"))
            #expect(problem.detail.contains("'payments.refunded'"))
            #expect(problem.detail.contains("'orders.>'"))
            #expect(!problem.detail.contains(Self.limited.secret))
        }
        #expect(try await server.store.lastSequence() == 1)
    }

    @Test func aBatchWithOneEventOutsideIsRefusedWhole() async throws {
        let server = server
        try await server.run { client in
            let batch = [
                accessEvent("1", type: "orders.placed"), accessEvent("2", type: "payments.refunded"),
                accessEvent("3", type: "orders.cancelled"),
            ]
            let answer = try await client.publish(batch, key: Self.limited)
            #expect(answer.status == 403)
            #expect(try answer.problem.errors?.map(\.index) == [1])
        }
        #expect(try await server.store.lastSequence() == 0)
    }

    @Test func binaryModeIsCheckedToo() async throws {
        let server = server
        try await server.run { client in
            for (type, status) in [("payments.refunded", 403), ("orders.placed", 201)] {
                let answer = try await client.send(
                    .POST, "/v1/events", key: Self.limited,
                    headers: [
                        ("ce-specversion", "1.0"), ("ce-id", type), ("ce-source", "/shop"), ("ce-type", type),
                        ("Content-Type", "application/json"),
                    ], body: "{}")
                #expect(answer.status == status, "\(type)")
            }
        }
        #expect(
            try await server.store.read(after: 0, filter: EventFilter(), limit: 10).events.map(\.event.type) == [
                "orders.placed"
            ])
    }

    @Test func readingNeedsATopicWithinTheSubscribeTopics() async throws {
        try await seeded().run { client in
            let inside = try await client.send(.GET, "/v1/events?topic=sensors.>", key: Self.limited)
            #expect(inside.status == 200)
            #expect(inside.body.contains("s1") && !inside.body.contains("payments"))
            let narrower = try await client.send(.GET, "/v1/events?topic=alerts.fire", key: Self.limited)
            #expect(narrower.status == 200)

            for query in ["?topic=payments.>", "?topic=>", "?topic=sensors.*.>.x", ""] {
                let answer = try await client.send(.GET, "/v1/events\(query)", key: Self.limited)
                if query == "?topic=sensors.*.>.x" {
                    #expect(answer.status == 400)  // an invalid pattern is a bad request first
                    continue
                }
                #expect(answer.status == 403, "\(query)")
                let problem = try answer.problem
                #expect(problem.detail.contains("'ci'"))
                #expect(problem.detail.contains("sensors.>"))
                Self.expectRevealsNothing(answer)
            }
            // `alerts.>` is wider than `alerts.*`: it matches `alerts.eu.fire` too.
            #expect(try await client.send(.GET, "/v1/events?topic=alerts.>", key: Self.limited).status == 403)
            // A key without limits reads everything, with or without a topic.
            let everything = try await client.send(.GET, "/v1/events", key: Self.operatorKey)
            #expect(everything.status == 200 && everything.body.contains("hidden-77"))
        }
    }

    @Test func topicsListsOnlyTheTypesTheKeyMayRead() async throws {
        try await seeded().run { client in
            let limited = try await client.send(.GET, "/v1/topics", key: Self.limited)
            #expect(limited.status == 200)
            let types = try #require(try limited.object["topics"] as? [[String: Any]]).compactMap {
                $0["type"] as? String
            }
            #expect(types == ["sensors.temperature"])
            let all = try await client.send(.GET, "/v1/topics", key: Self.operatorKey)
            #expect(all.body.contains("payments.refunded") && all.body.contains("orders.placed"))
        }
    }

    @Test func consumerGroupsOutsideTheKeysTopicsAreRefused() async throws {
        try await seeded().run { client in
            let created = try await client.send(
                .PUT, "/v1/groups/sensing", key: Self.limited, json: #"{"topic":"sensors.>","start":"earliest"}"#)
            #expect(created.status == 201)
            let refused = try await client.send(
                .PUT, "/v1/groups/paying", key: Self.limited, json: #"{"topic":"payments.>","start":"earliest"}"#)
            #expect(refused.status == 403)
            #expect(try refused.problem.detail.contains("'payments.>'"))
            let wider = try await client.send(.PUT, "/v1/groups/all", key: Self.limited, json: #"{"topic":">"}"#)
            #expect(wider.status == 403)

            // A group the operator made over payments: the limited key can neither see nor use it.
            let made = try await client.send(
                .PUT, "/v1/groups/billing", key: Self.operatorKey, json: #"{"topic":"payments.>","start":"earliest"}"#)
            #expect(made.status == 201)
            let listed = try await client.send(.GET, "/v1/groups", key: Self.limited)
            #expect(listed.body.contains("sensing") && !listed.body.contains("billing"))
            Self.expectRevealsNothing(listed)
            for (method, path, body) in [
                (HTTPMethod.POST, "/v1/groups/billing/poll", "{}"), (.GET, "/v1/groups/billing", nil),
                (.POST, "/v1/groups/billing/ack", #"{"delivery_ids":["x"]}"#),
                (.GET, "/v1/groups/billing/dead-letters", nil),
                (.DELETE, "/v1/groups/billing", nil), (.POST, "/v1/groups/billing/dead-letters/requeue", "{}"),
                (.PUT, "/v1/groups/billing", #"{"topic":"sensors.>"}"#),
            ] {
                let answer =
                    if let body {
                        try await client.send(method, path, key: Self.limited, json: body)
                    } else {
                        try await client.send(method, path, key: Self.limited)
                    }
                #expect(answer.status == 403, "\(method) \(path)")
                #expect(try answer.problem.detail.contains("'ci'"), "\(method) \(path)")
                Self.expectRevealsNothing(answer)
            }

            let polled = try await client.send(.POST, "/v1/groups/sensing/poll", key: Self.limited, json: "{}")
            #expect(polled.status == 200)
            #expect(polled.body.contains("s1") && !polled.body.contains("hidden-77"))
            // The operator's group is intact.
            #expect(try await client.send(.GET, "/v1/groups/billing", key: Self.operatorKey).status == 200)
        }
    }

    /// A schedule firing every minute, publishing events of `type`.
    static func schedule(_ type: String) -> String {
        #"{"every_ms":60000,"event":{"type":"\#(type)","source":"/cron"}}"#
    }

    @Test func schedulesOutsideTheKeysTopicsAreRefused() async throws {
        // Administers every topic, but publishes only sensors: its schedules may only publish sensors too.
        let ownKey = try APIKey(parsing: "sched:sched-secret-000000003:publish=sensors.>,subscribe=sensors.>,admin")
        let server = AccessServer(keys: [ownKey, Self.operatorKey])
        try await server.run { client in
            #expect(
                try await client.send(.PUT, "/v1/schedules/beat", key: ownKey, json: Self.schedule("sensors.beat"))
                    .status
                    == 201)
            let outside = try await client.send(
                .PUT, "/v1/schedules/pay", key: ownKey, json: Self.schedule("payments.due"))
            #expect(outside.status == 403)
            #expect(try outside.problem.detail.contains("'sched'"))

            #expect(
                try await client.send(
                    .PUT, "/v1/schedules/pay", key: Self.operatorKey, json: Self.schedule("payments.due")
                )
                .status == 201)
            let listed = try await client.send(.GET, "/v1/schedules", key: ownKey)
            #expect(listed.body.contains("beat") && !listed.body.contains("payments"))
            for (method, path) in [
                (HTTPMethod.GET, "/v1/schedules/pay"), (.DELETE, "/v1/schedules/pay"),
                (.POST, "/v1/schedules/pay/pause"),
                (.POST, "/v1/schedules/pay/resume"),
            ] {
                let answer = try await client.send(method, path, key: ownKey)
                #expect(answer.status == 403, "\(method) \(path)")
                #expect(!answer.body.contains("payments"))
            }
            // Replacing someone else's schedule with one inside the key's topics is refused too.
            let replaced = try await client.send(
                .PUT, "/v1/schedules/pay", key: ownKey, json: Self.schedule("sensors.x"))
            #expect(replaced.status == 403)
            #expect(try await client.send(.POST, "/v1/schedules/beat/pause", key: ownKey).status == 200)
        }
    }

    @Test func serverSentEventsNeedATopicWithinTheSubscribeTopics() async throws {
        try await seeded().run { client in
            let secret = [("Authorization", "Bearer \(Self.limited.secret)")]
            for query in ["topic=payments.>&after=0", "after=0"] {
                let refused = try await client.send(.GET, "/v1/stream?\(query)", key: Self.limited)
                #expect(refused.status == 403, "\(query)")
                #expect(refused.body.contains("'ci'"))
                Self.expectRevealsNothing(refused)
            }
            var stream = try await ServerSentEventsClient.connect(
                port: client.port, query: "topic=sensors.>&after=0", headers: secret)
            #expect(stream.response.status.code == 200)
            let first = try #require(try await stream.nextEvent())
            #expect(first.event == "sensors.temperature")
        }
    }

    @Test func webSocketsCheckTheSubscriptionAndEveryPublish() async throws {
        let server = try await seeded()
        try await server.run { client in
            let secret = [("Authorization", "Bearer \(Self.limited.secret)")]
            var refusedTexts: [String] = []
            try await RawWebSocket.with(port: client.port, path: "/v1/ws?topic=payments.>&after=0", headers: secret) {
                socket in
                while let text = try await socket.nextText() { refusedTexts.append(text) }
            }
            #expect(refusedTexts.count == 1)
            let problem = try jsonObject(try #require(refusedTexts.first))
            #expect(problem["status"] as? Int == 403)
            #expect(!(refusedTexts.first ?? "").contains("hidden-77"))

            var answers: [[String: Any]] = []
            try await RawWebSocket.with(port: client.port, path: "/v1/ws?topic=sensors.>&after=0", headers: secret) {
                socket in
                answers.append(try jsonObject(try #require(try await socket.nextText())))
                try await socket.send(
                    text: String(decoding: accessEvent("w1", type: "payments.x").jsonData(), as: UTF8.self))
                answers.append(try jsonObject(try #require(try await socket.nextText())))
                try await socket.send(
                    text: String(decoding: accessEvent("w2", type: "orders.x").jsonData(), as: UTF8.self))
                answers.append(try jsonObject(try #require(try await socket.nextText())))
            }
            #expect(answers[0]["sequence"] as? Int == 1)
            #expect(answers[1]["status"] as? Int == 403)
            #expect((answers[1]["detail"] as? String)?.contains("'payments.x'") == true)
            #expect(answers[2]["events"] != nil)
        }
        let types = try await server.store.read(after: 3, filter: EventFilter(), limit: 10).events.map(\.event.type)
        #expect(types == ["orders.x"])
    }
}
