import Foundation
import HTTPTypes
import HeraldServer
import HummingbirdTesting
import NIOCore
import Testing

/// Bad input to the group routes: each answers 400 (or 413) with a problem naming what was wrong.
@Suite struct GroupRequestErrorsTests {
    private func expectProblem(
        _ response: TestResponse,
        status: HTTPResponse.Status = .badRequest,
        type: String = "urn:herald:problem:invalid-body",
        mentioning words: [String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        #expect(response.status == status, "\(String(buffer: response.body))", sourceLocation: sourceLocation)
        #expect(response.contentType == ProblemDetails.mediaType, sourceLocation: sourceLocation)
        let problem = try response.decode(ProblemBody.self)
        #expect(problem.type == type, sourceLocation: sourceLocation)
        #expect(problem.status == Int(status.code), sourceLocation: sourceLocation)
        for word in words {
            #expect(problem.detail.contains(word), "\(problem.detail)", sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: [
        ("bad*name", "bad*name"),
        ("caf%C3%A9", "caf"),
        (String(repeating: "n", count: 129), "1-128"),
    ])
    func anInvalidGroupNameAnswers400(name: String, mentioned: String) async throws {
        try await ServerUnderTest().run { client in
            for (method, suffix) in [(HTTPRequest.Method.put, ""), (.get, ""), (.delete, ""), (.post, "/poll")] {
                let response = try await client.send(method, "/v1/groups/\(name)\(suffix)", json: #"{"topic":">"}"#)
                try expectProblem(response, type: "urn:herald:problem:invalid-group-name", mentioning: [mentioned])
            }
        }
    }

    @Test(arguments: [
        ("", ["empty", "topic"]),
        (#"{"topic":"#, ["not valid JSON"]),
        (#"["orders.>"]"#, ["JSON object"]),
        (#"{}"#, ["'topic'", "required"]),
        (#"{"topic":null}"#, ["'topic'"]),
        (#"{"topic":5}"#, ["'topic'", "a string"]),
        (#"{"topic":"orders..x"}"#, ["'topic'", "pattern"]),
        (#"{"topic":"orders.>.x"}"#, ["'topic'", "pattern"]),
        (#"{"topic":">","start":"middle"}"#, ["'start'", "earliest", "latest"]),
        (#"{"topic":">","start":"after:-3"}"#, ["'start'"]),
        (#"{"topic":">","start":7}"#, ["'start'", "a string"]),
        (#"{"topic":">","max_attempts":"5"}"#, ["'max_attempts'", "an integer"]),
        (#"{"topic":">","max_attempts":2.5}"#, ["'max_attempts'"]),
        (#"{"topic":">","max_attempts":0}"#, ["'max_attempts'", "1 to 1000"]),
        (#"{"topic":">","max_attempts":-1}"#, ["'max_attempts'"]),
        (#"{"topic":">","max_attempts":1e30}"#, ["'max_attempts'"]),
        (#"{"topic":">","ack_timeout_ms":-5}"#, ["'ack_timeout_ms'"]),
        (#"{"topic":">","ack_timeout_ms":86400001}"#, ["'ack_timeout_ms'"]),
        (#"{"topic":">","ordered":"yes"}"#, ["'ordered'", "true or false"]),
        (#"{"topic":">","maxAttempts":3}"#, ["unknown field 'maxAttempts'", "'max_attempts'"]),
    ])
    func aBadGroupBodyAnswers400NamingTheField(body: String, words: [String]) async throws {
        try await ServerUnderTest().run { client in
            let response = try await client.send(.put, "/v1/groups/orders", json: body)
            try expectProblem(response, mentioning: words)
            #expect(try await client.send(.get, "/v1/groups/orders").status == .notFound, "nothing was created")
        }
    }

    @Test(arguments: [
        ("poll", #"{"max":0}"#, ["'max'", "1 to 1000"]),
        ("poll", #"{"max":1001}"#, ["'max'"]),
        ("poll", #"{"max":"ten"}"#, ["'max'", "an integer"]),
        ("poll", #"{"wait_ms":-1}"#, ["'wait_ms'", "0 to 60000"]),
        ("poll", #"{"wait_ms":60001}"#, ["'wait_ms'"]),
        ("poll", #"{"waitMs":10}"#, ["unknown field 'waitMs'"]),
        ("poll", #"[]"#, ["JSON object"]),
        ("poll", #"{"ack":"abc"}"#, ["'ack'", "array"]),
        ("poll", #"{"ack":[7]}"#, ["'ack[0]'", "a string"]),
        ("seek", "", ["empty", "to"]),
        ("seek", #"{}"#, ["'to'", "required"]),
        ("seek", #"{"to":"middle"}"#, ["'to'", "earliest", "latest", "after:SEQUENCE", "time:RFC3339"]),
        ("seek", #"{"to":"after:-1"}"#, ["'to'"]),
        ("seek", #"{"to":"time:yesterday"}"#, ["'to'"]),
        ("seek", #"{"to":5}"#, ["'to'", "a string"]),
        ("seek", #"{"to":"earliest","group":"x"}"#, ["unknown field 'group'"]),
        ("ack", "", ["empty", "delivery_ids"]),
        ("ack", #"{}"#, ["'delivery_ids'", "required"]),
        ("ack", #"{"delivery_ids":"abc"}"#, ["'delivery_ids'", "array"]),
        ("ack", #"{"delivery_ids":[1]}"#, ["'delivery_ids[0]'", "a string"]),
        ("ack", #"{"delivery_ids":["a"],"delay_ms":5}"#, ["unknown field 'delay_ms'"]),
        ("ack", #"{"delivery_ids":["#, ["not valid JSON"]),
        ("nack", #"{"delivery_ids":["a"],"delay_ms":-1}"#, ["'delay_ms'"]),
        ("nack", #"{"delivery_ids":["a"],"delay_ms":"soon"}"#, ["'delay_ms'", "an integer"]),
        ("nack", #"{"delivery_ids":["a"],"error":42}"#, ["'error'", "a string"]),
        ("dead-letters/requeue", #"{"sequences":[0]}"#, ["'sequences'", "1 or more"]),
        ("dead-letters/requeue", #"{"sequences":"all"}"#, ["'sequences'"]),
        ("dead-letters/requeue", #"{"sequences":["1"]}"#, ["'sequences[0]'", "an integer"]),
    ])
    func aBadBodyOfAGroupActionAnswers400NamingTheField(route: String, body: String, words: [String]) async throws {
        try await ServerUnderTest().run { client in
            try await client.createGroup("workers", #"{"topic":">"}"#)
            let response = try await client.send(.post, "/v1/groups/workers/\(route)", json: body)
            try expectProblem(response, mentioning: words)
        }
    }

    @Test func tooManyIdsOrTooLongAnErrorAnswers400() async throws {
        try await ServerUnderTest().run { client in
            try await client.createGroup("workers", #"{"topic":">"}"#)
            let ids = idList((0...1000).map { "d\($0)" })
            try expectProblem(
                try await client.send(.post, "/v1/groups/workers/ack", json: #"{"delivery_ids":\#(ids)}"#),
                mentioning: ["'delivery_ids'", "1001", "at most 1000"])
            try expectProblem(
                try await client.send(.post, "/v1/groups/workers/poll", json: #"{"ack":\#(ids)}"#),
                mentioning: ["'ack'", "1001", "at most 1000"])
            let error = String(repeating: "x", count: 4097)
            try expectProblem(
                try await client.send(
                    .post, "/v1/groups/workers/nack", json: #"{"delivery_ids":["a"],"error":"\#(error)"}"#),
                mentioning: ["'error'", "4096"])
        }
    }

    @Test(arguments: ["0", "1001", "ten", "-1"])
    func anInvalidDeadLetterLimitAnswers400(limit: String) async throws {
        try await ServerUnderTest().run { client in
            try await client.createGroup("workers", #"{"topic":">"}"#)
            let response = try await client.send(.get, "/v1/groups/workers/dead-letters?limit=\(limit)")
            try expectProblem(response, type: "urn:herald:problem:invalid-query", mentioning: ["'limit'"])
        }
    }

    @Test func aBodyOverTheLimitAnswers413() async throws {
        var server = ServerUnderTest()
        server.configuration.maxBodyBytes = HeraldServerConfiguration.minimumBodyLimit
        try await server.run { client in
            let ids = idList((0..<1_000).map { "delivery-\($0)-" + String(repeating: "x", count: 60) })
            let response = try await client.send(.post, "/v1/groups/big/ack", json: #"{"delivery_ids":\#(ids)}"#)
            try expectProblem(
                response, status: .contentTooLarge, type: "urn:herald:problem:body-too-large",
                mentioning: ["\(HeraldServerConfiguration.minimumBodyLimit)"])
        }
    }
}
