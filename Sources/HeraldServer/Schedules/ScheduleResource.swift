import Foundation
import Herald

/// A stored schedule as the API shows it: the body of `PUT`, `GET`, `pause` and `resume` on
/// `/v1/schedules/{name}`, and an entry of `GET /v1/schedules`.
///
/// It is the schedule's JSON form (``Schedule/jsonValue``, what `PUT` takes) with the state of its firing:
///
/// ```json
/// {"name":"reports","cron":"0 9 * * 1-5","timezone":"Europe/Berlin","missed":"fire_once","paused":false,
///  "event":{"type":"report.due","source":"/reports"},"revision":1,"last_fired_at":null,
///  "next_fire_at":"2026-03-02T08:00:00Z","next":["2026-03-02T08:00:00Z", ...]}
/// ```
///
/// `last_fired_at` is `null` until it fires; `next_fire_at` is `null`, and `next` empty, when it never fires
/// again (a single time that fired). `next` holds up to ``SchedulesController/upcomingCount`` instants.
struct ScheduleResource {
    let stored: StoredSchedule

    /// The resource as a JSON value.
    var jsonValue: JSONValue {
        guard case .object(var object) = stored.schedule.jsonValue else { return stored.schedule.jsonValue }
        object["revision"] = .integer(stored.revision)
        object["last_fired_at"] = stored.lastFiredAt.map { .string(RFC3339.format($0)) } ?? .null
        object["next_fire_at"] = stored.nextFireAt.map { .string(RFC3339.format($0)) } ?? .null
        object["next"] = .array(stored.upcoming(SchedulesController.upcomingCount).map { .string(RFC3339.format($0)) })
        return .object(object)
    }

    /// `value` as JSON text, keys sorted.
    static func encode(_ value: JSONValue) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // A JSONValue holds only strings, finite numbers, booleans, null, arrays and objects: it always encodes.
        return (try? encoder.encode(value)) ?? Data("{}".utf8)
    }
}
