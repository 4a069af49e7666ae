import Foundation

extension Schedule {
    /// Reads a schedule named `name` from its JSON form (see ``Schedule``); an interval without an `anchor`
    /// counts from `now`.
    ///
    /// - Throws: ``ScheduleDefinitionError`` naming the field at fault and what it must be.
    public static func decode(json: Data, name: String, now: Date) throws(ScheduleDefinitionError) -> Schedule {
        try validate(name: name)
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: json)
        } catch {
            throw ScheduleDefinitionError(field: nil, "the schedule is not valid JSON; send one JSON object")
        }
        guard case .object(let object) = value else {
            throw ScheduleDefinitionError(field: nil, "the schedule must be a JSON object, got \(value.summary)")
        }
        let known: Set<String> = ["cron", "timezone", "every_ms", "anchor", "at", "event", "missed", "paused", "name"]
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw ScheduleDefinitionError(
                field: unknown,
                "unknown field '\(unknown)'; a schedule has \(known.subtracting(["name"]).sorted().joined(separator: ", "))"
            )
        }
        if let given = object["name"], given != .string(name) {
            throw ScheduleDefinitionError(
                field: "name", "the body names '\(given.summary)', but the path names '\(name)'")
        }
        let schedule = Schedule(
            name: name,
            trigger: try trigger(object, now: now),
            event: try template(object["event"]),
            missedFires: try missedFires(object["missed"]),
            isPaused: try flag(object["paused"], field: "paused") ?? false
        )
        try schedule.validate()
        return schedule
    }

    /// The schedule's JSON form, as ``decode(json:name:now:)`` reads it, with `name` too.
    public var jsonValue: JSONValue {
        var object: [String: JSONValue] = [
            "name": .string(name),
            "missed": .string(missedFires.rawValue),
            "paused": .bool(isPaused),
        ]
        switch trigger {
        case .interval(let interval, let anchor):
            let (seconds, attoseconds) = interval.components
            object["every_ms"] = .integer(seconds * 1_000 + attoseconds / 1_000_000_000_000_000)
            object["anchor"] = .string(RFC3339.format(anchor))
        case .cron(let expression, let timeZone):
            object["cron"] = .string(expression.source)
            // Foundation on Linux names UTC "GMT"; write the name users give and expect.
            object["timezone"] = .string(timeZone.identifier == "GMT" ? "UTC" : timeZone.identifier)
        case .once(let instant):
            object["at"] = .string(RFC3339.format(instant))
        }
        var event: [String: JSONValue] = ["type": .string(self.event.type), "source": .string(self.event.source)]
        if let subject = self.event.subject { event["subject"] = .string(subject) }
        if let data = self.event.data { event["data"] = data }
        object["event"] = .object(event)
        return .object(object)
    }

    /// The JSON text of ``jsonValue``, keys sorted.
    public func jsonData() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(jsonValue)) ?? Data("{}".utf8)
    }

    private static func trigger(_ object: [String: JSONValue], now: Date) throws(ScheduleDefinitionError)
        -> ScheduleTrigger
    {
        let given = ["cron", "every_ms", "at"].filter { object[$0] != nil }
        guard given.count == 1 else {
            throw ScheduleDefinitionError(
                field: given.count > 1 ? given[1] : "cron",
                given.isEmpty
                    ? "the schedule needs a trigger: one of cron, every_ms or at"
                    : "the schedule has \(given.joined(separator: " and ")); give exactly one of cron, every_ms or at"
            )
        }
        if object["timezone"] != nil, given[0] != "cron" {
            throw ScheduleDefinitionError(field: "timezone", "timezone applies only to cron schedules")
        }
        if object["anchor"] != nil, given[0] != "every_ms" {
            throw ScheduleDefinitionError(field: "anchor", "anchor applies only to every_ms schedules")
        }
        switch given[0] {
        case "cron":
            guard case .string(let text) = object["cron"]! else {
                throw ScheduleDefinitionError(field: "cron", "cron must be a string such as \"*/5 * * * *\"")
            }
            let expression: CronExpression
            do {
                expression = try CronExpression(text)
            } catch {
                throw ScheduleDefinitionError(field: error.field.map { "cron.\($0)" } ?? "cron", error.message)
            }
            var timeZone = TimeZone(identifier: "UTC")!
            if let zone = object["timezone"] {
                guard case .string(let identifier) = zone else {
                    throw ScheduleDefinitionError(
                        field: "timezone",
                        "timezone must be a string such as \"Europe/Berlin\", got \(zone.summary)"
                    )
                }
                guard let named = TimeZone(identifier: identifier) else {
                    throw ScheduleDefinitionError(
                        field: "timezone",
                        "timezone \"\(identifier.prefix(100))\" is not a known time zone; use an IANA name such as "
                            + "\"Europe/Berlin\" or \"UTC\""
                    )
                }
                timeZone = named
            }
            return .cron(expression, timeZone: timeZone)
        case "every_ms":
            guard case .integer(let milliseconds) = object["every_ms"]!, milliseconds >= 10,
                milliseconds <= 366 * 86_400_000
            else {
                throw ScheduleDefinitionError(
                    field: "every_ms",
                    "every_ms must be a whole number of milliseconds from 10 to 31622400000 (366 days), got "
                        + object["every_ms"]!.summary
                )
            }
            let anchor = try time(object["anchor"], field: "anchor") ?? now
            return .interval(.milliseconds(milliseconds), anchor: anchor)
        default:
            return .once(try time(object["at"], field: "at")!)
        }
    }

    private static func time(_ value: JSONValue?, field: String) throws(ScheduleDefinitionError) -> Date? {
        guard let value else { return nil }
        guard case .string(let text) = value, let date = RFC3339.parse(text) else {
            throw ScheduleDefinitionError(
                field: field,
                "\(field) must be an RFC 3339 time such as \"2026-12-24T18:00:00Z\", got \(value.summary)"
            )
        }
        return date
    }

    private static func template(_ value: JSONValue?) throws(ScheduleDefinitionError) -> EventTemplate {
        guard case .object(let event) = value else {
            throw ScheduleDefinitionError(
                field: "event",
                "event must be an object with type and source (and optionally subject and data)"
            )
        }
        let known: Set<String> = ["type", "source", "subject", "data"]
        if let unknown = event.keys.sorted().first(where: { !known.contains($0) }) {
            throw ScheduleDefinitionError(
                field: "event.\(unknown)",
                "unknown field '\(unknown)' in event; it has type, source, subject and data"
            )
        }
        func text(_ key: String, required: Bool) throws(ScheduleDefinitionError) -> String? {
            switch event[key] {
            case .string(let text) where !text.isEmpty: return text
            case nil where !required: return nil
            default:
                throw ScheduleDefinitionError(
                    field: "event.\(key)",
                    "event.\(key) must be a non-empty string, got \(event[key]?.summary ?? "nothing")"
                )
            }
        }
        return EventTemplate(
            type: try text("type", required: true)!,
            source: try text("source", required: true)!,
            subject: try text("subject", required: false),
            data: event["data"]
        )
    }

    private static func missedFires(_ value: JSONValue?) throws(ScheduleDefinitionError) -> MissedFirePolicy {
        guard let value else { return .fireOnce }
        guard case .string(let text) = value, let policy = MissedFirePolicy(rawValue: text) else {
            throw ScheduleDefinitionError(
                field: "missed",
                "missed must be \"fire_once\" or \"skip\", got \(value.summary)"
            )
        }
        return policy
    }

    private static func flag(_ value: JSONValue?, field: String) throws(ScheduleDefinitionError) -> Bool? {
        guard let value else { return nil }
        guard case .bool(let flag) = value else {
            throw ScheduleDefinitionError(field: field, "\(field) must be true or false, got \(value.summary)")
        }
        return flag
    }
}
