import Foundation
import HTTPTypes
import Herald
import HeraldServer
import HeraldTesting
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// The server over an in-memory store on a test clock whose wall time starts at 2026-01-01T00:00:00Z.
private struct ScheduleServer {
    let clock = TestClock()
    let store: InMemoryEventStore
    let wallClock: TestWallClock
    var configuration = HeraldServerConfiguration()

    init() {
        wallClock = clock.wallClock(epoch: Self.epoch)
        store = InMemoryEventStore(clock: wallClock)
    }

    static let epoch = RFC3339.parse("2026-01-01T00:00:00Z")!

    func run(_ test: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let application = buildHeraldApplication(
            store: store, configuration: configuration, logger: quietLogger, clock: wallClock)
        try await application.test(.router) { client in try await test(client) }
    }
}

/// The body of a schedule response, as far as the tests read it.
private struct ScheduleBody: Decodable, Equatable {
    struct Template: Decodable, Equatable {
        var type: String
        var source: String
        var subject: String?
    }
    var name: String
    var cron: String?
    var timezone: String?
    var everyMilliseconds: Int64?
    var anchor: String?
    var at: String?
    var event: Template
    var missed: String
    var paused: Bool
    var revision: Int64
    var lastFiredAt: String?
    var nextFireAt: String?
    var next: [String]

    enum CodingKeys: String, CodingKey {
        case name, cron, timezone, everyMilliseconds = "every_ms", anchor, at, event, missed, paused, revision,
            lastFiredAt = "last_fired_at", nextFireAt = "next_fire_at", next
    }
}

/// A problem with the `field` member of schedule problems.
private struct FieldProblem: Decodable {
    var type: String
    var status: Int
    var detail: String
    var field: String?
}

@Suite struct SchedulesTests {
    static let weekdayReport = #"""
        {"cron":"0 9 * * 1-5","timezone":"Europe/Berlin","missed":"skip",
         "event":{"type":"report.due","source":"/reports","data":{"kind":"daily"}}}
        """#

    @Test func putCreatesAScheduleAndShowsItsNextFiveInstants() async throws {
        try await ScheduleServer().run { client in
            let response = try await client.send(.put, "/v1/schedules/reports", json: Self.weekdayReport)
            #expect(response.status == .created, "\(String(buffer: response.body))")
            #expect(response.contentType == "application/json")
            let body = try response.decode(ScheduleBody.self)
            #expect(body.name == "reports")
            #expect(body.cron == "0 9 * * 1-5")
            #expect(body.timezone == "Europe/Berlin")
            #expect(body.missed == "skip")
            #expect(!body.paused)
            #expect(body.event == .init(type: "report.due", source: "/reports"))
            #expect(body.revision >= 1)
            #expect(body.lastFiredAt == nil)
            // 2026-01-01 is a Thursday; 09:00 in Berlin in winter is 08:00 UTC.
            #expect(body.nextFireAt == "2026-01-01T08:00:00Z")
            #expect(
                body.next == [
                    "2026-01-01T08:00:00Z", "2026-01-02T08:00:00Z", "2026-01-05T08:00:00Z", "2026-01-06T08:00:00Z",
                    "2026-01-07T08:00:00Z",
                ])
            let raw = try #require(
                try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
            #expect(raw["last_fired_at"] is NSNull, "last_fired_at is present and null before the first firing")

            let shown = try await client.send(.get, "/v1/schedules/reports")
            #expect(shown.status == .ok)
            #expect(try shown.decode(ScheduleBody.self) == body)
        }
    }

    @Test func putAgainReplacesListDeletes() async throws {
        try await ScheduleServer().run { client in
            let first = try await client.send(.put, "/v1/schedules/reports", json: Self.weekdayReport)
            #expect(first.status == .created)
            let replaced = try await client.send(
                .put, "/v1/schedules/reports",
                json: #"{"every_ms":90000,"event":{"type":"report.due","source":"/reports"}}"#)
            #expect(replaced.status == .ok, "\(String(buffer: replaced.body))")
            let body = try replaced.decode(ScheduleBody.self)
            #expect(body.cron == nil)
            #expect(body.everyMilliseconds == 90_000)
            #expect(body.anchor == "2026-01-01T00:00:00Z", "an interval without an anchor counts from the server's now")
            #expect(body.nextFireAt == "2026-01-01T00:01:30Z")
            #expect(body.revision > (try first.decode(ScheduleBody.self)).revision)

            let once = try await client.send(
                .put, "/v1/schedules/launch", json: #"{"at":"2026-06-01T12:00:00Z","event":{"type":"t","source":"/s"}}"#
            )
            #expect(once.status == .created)
            #expect(try once.decode(ScheduleBody.self).next == ["2026-06-01T12:00:00Z"])

            let list = try await client.send(.get, "/v1/schedules")
            #expect(list.status == .ok)
            struct ListBody: Decodable { var schedules: [ScheduleBody] }
            #expect(try list.decode(ListBody.self).schedules.map(\.name) == ["launch", "reports"])

            #expect(try await client.send(.delete, "/v1/schedules/reports").status == .noContent)
            let gone = try await client.send(.get, "/v1/schedules/reports")
            #expect(gone.status == .notFound)
            let problem = try gone.decode(FieldProblem.self)
            #expect(problem.type == "urn:herald:problem:schedule-not-found")
            #expect(problem.detail.contains("'reports'"))
            #expect(try await client.send(.delete, "/v1/schedules/reports").status == .notFound)
            #expect(try list.decode(ListBody.self).schedules.count == 2)
            #expect(
                try await client.send(.get, "/v1/schedules").decode(ListBody.self).schedules.map(\.name) == ["launch"])
        }
    }

    @Test func pauseAndResumeAnswerTheScheduleAnd404ForAnUnknownOne() async throws {
        try await ScheduleServer().run { client in
            _ = try await client.send(.put, "/v1/schedules/reports", json: Self.weekdayReport)
            let paused = try await client.send(.post, "/v1/schedules/reports/pause")
            #expect(paused.status == .ok)
            #expect(try paused.decode(ScheduleBody.self).paused)
            #expect(try await client.send(.get, "/v1/schedules/reports").decode(ScheduleBody.self).paused)
            let resumed = try await client.send(.post, "/v1/schedules/reports/resume")
            #expect(resumed.status == .ok)
            let body = try resumed.decode(ScheduleBody.self)
            #expect(!body.paused)
            #expect(body.nextFireAt == "2026-01-01T08:00:00Z")
            for action in ["pause", "resume"] {
                let missing = try await client.send(.post, "/v1/schedules/nothing/\(action)")
                #expect(missing.status == .notFound)
                #expect(try missing.decode(FieldProblem.self).type == "urn:herald:problem:schedule-not-found")
            }
        }
    }

    @Test func theServersSchedulerFiresASchedulePutOverHTTP() async throws {
        let server = ScheduleServer()
        try await server.run { client in
            let put = try await client.send(
                .put, "/v1/schedules/tick",
                json: #"{"every_ms":60000,"event":{"type":"clock.tick","source":"/clock","data":{"n":1}}}"#)
            #expect(put.status == .created)
            server.clock.advance(by: .seconds(60))
            try await waitUntil("the schedule fired") {
                try await server.store.read(after: 0, filter: EventFilter(), limit: 10).events.count == 1
            }
            let event = try #require(
                try await server.store.read(after: 0, filter: EventFilter(), limit: 10).events.first)
            #expect(event.event.id == "tick@2026-01-01T00:01:00Z")
            #expect(event.event.type == "clock.tick")
            #expect(event.event.time == RFC3339.parse("2026-01-01T00:01:00Z"))
            #expect(event.event.data == Data(#"{"n":1}"#.utf8))
            try await waitUntil("the firing is recorded") {
                let shown = try await client.send(.get, "/v1/schedules/tick").decode(ScheduleBody.self)
                return shown.lastFiredAt == "2026-01-01T00:01:00Z"
            }
            let shown = try await client.send(.get, "/v1/schedules/tick").decode(ScheduleBody.self)
            #expect(shown.nextFireAt == "2026-01-01T00:02:00Z")
        }
    }

    @Test func aStoreWithoutSchedulesAnswers501() async throws {
        let router = Router(context: HeraldRequestContext.self)
        SchedulesController(store: nil, scheduler: nil, maxBodyBytes: 1 << 20)
            .addRoutes(to: router.group("v1/schedules"))
        try await Application(router: router).test(.router) { client in
            for (method, path) in [
                (HTTPRequest.Method.get, "/v1/schedules"), (.get, "/v1/schedules/a"), (.put, "/v1/schedules/a"),
                (.delete, "/v1/schedules/a"), (.post, "/v1/schedules/a/pause"), (.post, "/v1/schedules/a/resume"),
            ] {
                let response = try await client.send(method, path, json: Self.weekdayReport)
                #expect(response.status == .notImplemented, "\(method) \(path)")
                #expect(response.contentType == ProblemDetails.mediaType)
                #expect(try response.decode(FieldProblem.self).detail.contains("keeps no schedules"))
            }
        }
    }

    @Test func aReaderKeyListsSchedulesButCannotCreateThem() async throws {
        var server = ScheduleServer()
        server.configuration.apiKeys = [AuthenticationTests.reader, AuthenticationTests.admin]
        try await server.run { client in
            let send: @Sendable (HTTPRequest.Method, APIKey, String?) async throws -> HTTPResponse.Status = {
                method, key, body in
                try await client.execute(
                    uri: "/v1/schedules/reports", method: method,
                    headers: AuthenticationTests.bearer(key, [.contentType: "application/json"]),
                    body: body.map { ByteBuffer(string: $0) }
                ).status
            }
            let refused = try await send(.put, AuthenticationTests.reader, Self.weekdayReport)
            #expect(refused == .forbidden)
            let created = try await send(.put, AuthenticationTests.admin, Self.weekdayReport)
            #expect(created == .created)
            let read = try await send(.get, AuthenticationTests.reader, nil)
            #expect(read == .ok)
            let deleted = try await send(.delete, AuthenticationTests.reader, nil)
            #expect(deleted == .forbidden)
            #expect(try await client.execute(uri: "/v1/schedules", method: .get).status == .unauthorized)
        }
    }
}

/// Bad input to the schedule routes: each answers 400 (or 413) with a problem naming the field at fault.
@Suite struct ScheduleRequestErrorsTests {
    @Test(
        arguments: [
            ("", nil, ["not valid JSON"]),
            (#"{"cron":"#, nil, ["not valid JSON"]),
            (#"["0 9 * * *"]"#, nil, ["JSON object"]),
            (#"{}"#, "cron", ["needs a trigger"]),
            (#"{"cron":"0 25 * * *","event":{"type":"t","source":"/s"}}"#, "cron.hour", ["hour", "25"]),
            (#"{"cron":"0 9 * *","event":{"type":"t","source":"/s"}}"#, "cron", ["4 fields", "expected 5"]),
            (#"{"cron":"@sometimes","event":{"type":"t","source":"/s"}}"#, "cron", ["@sometimes"]),
            (#"{"cron":7,"event":{"type":"t","source":"/s"}}"#, "cron", ["must be a string"]),
            (
                #"{"cron":"0 9 * * *","timezone":"Mars/Olympus","event":{"type":"t","source":"/s"}}"#, "timezone",
                ["Mars/Olympus", "IANA"]
            ),
            (#"{"every_ms":5,"event":{"type":"t","source":"/s"}}"#, "every_ms", ["10 to"]),
            (#"{"every_ms":"5s","event":{"type":"t","source":"/s"}}"#, "every_ms", ["whole number"]),
            (#"{"every_ms":1.5,"event":{"type":"t","source":"/s"}}"#, "every_ms", ["whole number"]),
            (#"{"every_ms":60000,"cron":"* * * * *","event":{"type":"t","source":"/s"}}"#, "every_ms", ["exactly one"]),
            (#"{"at":"tomorrow","event":{"type":"t","source":"/s"}}"#, "at", ["RFC 3339"]),
            (
                #"{"at":"2026-01-02T00:00:00Z","timezone":"UTC","event":{"type":"t","source":"/s"}}"#, "timezone",
                ["cron"]
            ),
            (#"{"every_ms":60000}"#, "event", ["type and source"]),
            (#"{"every_ms":60000,"event":{"type":"t"}}"#, "event.source", ["non-empty string"]),
            (#"{"every_ms":60000,"event":{"type":"","source":"/s"}}"#, "event.type", ["non-empty string"]),
            (#"{"every_ms":60000,"event":{"type":"t","source":"/s","id":"x"}}"#, "event.id", ["unknown field 'id'"]),
            (
                #"{"every_ms":60000,"event":{"type":"t","source":"/s"},"missed":"often"}"#, "missed",
                ["fire_once", "skip"]
            ),
            (#"{"every_ms":60000,"event":{"type":"t","source":"/s"},"paused":"yes"}"#, "paused", ["true or false"]),
            (#"{"every_ms":60000,"event":{"type":"t","source":"/s"},"evry_ms":1}"#, "evry_ms", ["unknown field"]),
            (#"{"name":"other","every_ms":60000,"event":{"type":"t","source":"/s"}}"#, "name", ["'reports'"]),
        ] as [(String, String?, [String])])
    func aBadScheduleAnswers400NamingTheField(body: String, field: String?, words: [String]) async throws {
        try await ServerUnderTest().run { client in
            let response = try await client.send(.put, "/v1/schedules/reports", json: body)
            #expect(response.status == .badRequest, "\(String(buffer: response.body))")
            #expect(response.contentType == ProblemDetails.mediaType)
            let problem = try response.decode(FieldProblem.self)
            #expect(problem.type == "urn:herald:problem:invalid-schedule")
            #expect(problem.status == 400)
            #expect(problem.field == field, "\(problem.detail)")
            for word in words {
                #expect(problem.detail.contains(word), "\(problem.detail)")
            }
            #expect(try await client.send(.get, "/v1/schedules/reports").status == .notFound, "nothing was stored")
        }
    }

    @Test(arguments: [
        "bad*name", "caf%C3%A9", "a%00b", "..%2F..%2Fetc", "%20", String(repeating: "n", count: 201),
        "%3Cscript%3E",
    ])
    func aHostileScheduleNameAnswers400(name: String) async throws {
        try await ServerUnderTest().run { client in
            for (method, suffix) in [
                (HTTPRequest.Method.put, ""), (.get, ""), (.delete, ""), (.post, "/pause"), (.post, "/resume"),
            ] {
                let response = try await client.send(
                    method, "/v1/schedules/\(name)\(suffix)",
                    json: #"{"every_ms":60000,"event":{"type":"t","source":"/s"}}"#)
                #expect(response.status == .badRequest, "\(method) \(name): \(String(buffer: response.body))")
                let problem = try response.decode(FieldProblem.self)
                #expect(problem.field == "name")
                #expect(problem.detail.contains("letters, digits"))
                #expect(!problem.detail.contains("<script>"), "the name is not echoed as markup")
            }
            #expect(try await client.send(.get, "/v1/schedules").status == .ok)
        }
    }

    @Test func aBodyOverTheLimitAnswers413() async throws {
        var server = ServerUnderTest()
        server.configuration.maxBodyBytes = HeraldServerConfiguration.minimumBodyLimit
        try await server.run { client in
            let padding = String(repeating: "x", count: HeraldServerConfiguration.minimumBodyLimit)
            let body = #"{"every_ms":60000,"event":{"type":"t","source":"/s","data":"\#(padding)"}}"#
            let response = try await client.send(.put, "/v1/schedules/big", json: body)
            #expect(response.status == .contentTooLarge)
            #expect(response.contentType == ProblemDetails.mediaType)
            #expect(try await client.send(.get, "/v1/schedules/big").status == .notFound)
        }
    }
}
