import Foundation
import Herald
import Testing

@Suite struct ScheduleJSONTests {
    static let now = Date(timeIntervalSince1970: 1_767_225_600)

    func decode(_ json: String) throws(ScheduleDefinitionError) -> Schedule {
        try Schedule.decode(json: Data(json.utf8), name: "report", now: Self.now)
    }

    @Test func everyTriggerRoundTripsThroughItsJSONForm() throws {
        let bodies = [
            #"{"cron":"*/5 9-17 * * MON-FRI","timezone":"Europe/Berlin","event":{"type":"t","source":"/s","data":{"a":[1,true]}},"missed":"skip"}"#,
            #"{"every_ms":250,"anchor":"2026-01-01T00:00:00.5Z","event":{"type":"t","source":"/s","subject":"x"},"paused":true}"#,
            #"{"at":"2026-12-24T18:00:00Z","event":{"type":"t","source":"/s"}}"#,
            #"{"cron":"@daily","event":{"type":"t","source":"/s"}}"#,
        ]
        for body in bodies {
            let schedule = try decode(body)
            #expect(try Schedule.decode(json: schedule.jsonData(), name: "report", now: .distantPast) == schedule)
        }
    }

    /// `1001 * 1e-3 * 1000` is 1000.9999999999999 in floating point: the interval once came back, and was stored,
    /// a millisecond short.
    @Test(arguments: [10, 1_001, 1_003, 1_118, 99_999, 31_622_400_000])
    func anIntervalKeepsEveryMillisecond(milliseconds: Int64) throws {
        let schedule = try decode(#"{"every_ms":\#(milliseconds),"event":{"type":"t","source":"/s"}}"#)
        guard case .object(let object) = schedule.jsonValue else {
            Issue.record("the JSON form is not an object")
            return
        }
        #expect(object["every_ms"] == .integer(milliseconds))
    }

    @Test func aCronScheduleWithoutATimeZoneIsInUTCAndSaysSo() throws {
        let schedule = try decode(#"{"cron":"0 * * * *","event":{"type":"t","source":"/s"}}"#)
        guard case .object(let object) = schedule.jsonValue else {
            Issue.record("the JSON form is not an object")
            return
        }
        #expect(object["timezone"] == .string("UTC"))
    }

    @Test(
        arguments: [
            (#"{"cron":"0 25 * * *","event":{"type":"t","source":"/s"}}"#, "cron.hour", "out of range"),
            (
                #"{"cron":"0 * * * *","timezone":"Europe/Berlln","event":{"type":"t","source":"/s"}}"#, "timezone",
                #"timezone "Europe/Berlln" is not a known time zone"#
            ),
            (#"{"cron":"0 * * * *","timezone":7,"event":{"type":"t","source":"/s"}}"#, "timezone", "must be a string"),
            (#"{"every_ms":5,"event":{"type":"t","source":"/s"}}"#, "every_ms", "from 10"),
            (#"{"at":"tomorrow","event":{"type":"t","source":"/s"}}"#, "at", "RFC 3339"),
            (#"{"cron":"0 * * * *","every_ms":1000,"event":{"type":"t","source":"/s"}}"#, "every_ms", "exactly one"),
            (#"{"event":{"type":"t","source":"/s"}}"#, "cron", "needs a trigger"),
            (#"{"cron":"0 * * * *","event":{"type":"t"}}"#, "event.source", "non-empty string"),
            (#"{"cron":"0 * * * *","event":{"type":"t","source":"/s","colour":1}}"#, "event.colour", "unknown field"),
            (#"{"cron":"0 * * * *","event":{"type":"t","source":"/s"},"missed":"sometimes"}"#, "missed", "fire_once"),
            (#"{"cron":"0 * * * *","event":{"type":"t","source":"not a uri"}}"#, "event", "not a valid event"),
            (#"[1,2]"#, nil, "JSON object"),
            (#"{"#, nil, "not valid JSON"),
        ] as [(String, String?, String)])
    func aBadDefinitionNamesTheFieldAtFault(_ body: String, _ field: String?, _ message: String) {
        let error = #expect(throws: ScheduleDefinitionError.self) { try decode(body) }
        #expect(error?.field == field)
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
    }
}
