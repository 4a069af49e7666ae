import Foundation
import Herald

/// A schedule as the server reports it (`GET /v1/schedules`, `GET /v1/schedules/{name}`, and the answers of
/// `PUT`, `pause` and `resume`): its definition and the state of its firing.
public struct ScheduleStatus: Sendable, Hashable {
    /// The definition: name, trigger, event template, missed-fire policy and whether it is paused.
    public var schedule: Schedule
    /// Bumped by every save, pause and resume.
    public var revision: Int64
    /// The instant it last fired for, if it has.
    public var lastFiredAt: Date?
    /// The next instant it fires at; `nil` when it never fires again (a single time that fired).
    public var nextFireAt: Date?
    /// The next few instants from ``nextFireAt`` on, as the server computed them.
    public var upcoming: [Date]

    /// The schedule's name.
    public var name: String { schedule.name }

    /// Creates a status.
    public init(schedule: Schedule, revision: Int64, lastFiredAt: Date?, nextFireAt: Date?, upcoming: [Date]) {
        self.schedule = schedule
        self.revision = revision
        self.lastFiredAt = lastFiredAt
        self.nextFireAt = nextFireAt
        self.upcoming = upcoming
    }

    /// The members of the schedule's JSON form, which ``Schedule/decode(json:name:now:)`` reads.
    private static let definitionMembers = [
        "cron", "timezone", "every_ms", "anchor", "at", "event", "missed", "paused", "name",
    ]

    /// Reads one schedule; `name` stands in when the body has no `name` member.
    init(json: ResponseJSON, name defaultName: String? = nil) throws(HeraldClientError) {
        let name: String
        if let given = try json.optionalMember("name")?.string() {
            name = given
        } else if let defaultName {
            name = defaultName
        } else {
            throw json.invalid("\(json.path) has no member 'name'")
        }
        // The definition is the schedule's JSON form: rebuild it from the members it has, so that members a
        // newer server adds do not make it unreadable.
        var definition = Data("{".utf8)
        var first = true
        for key in Self.definitionMembers {
            guard let member = json.json[key] else { continue }
            if !first { definition.append(UInt8(ascii: ",")) }
            first = false
            definition.append(contentsOf: #""\#(key)":"#.utf8)
            definition.append(member.text)
        }
        definition.append(UInt8(ascii: "}"))
        do {
            schedule = try Schedule.decode(json: definition, name: name, now: Date())
        } catch {
            throw json.invalid("\(json.path) is not a valid schedule: \(error.message)")
        }
        revision = try json.member("revision").int64()
        lastFiredAt = try Self.date(json.optionalMember("last_fired_at"))
        nextFireAt = try Self.date(json.optionalMember("next_fire_at"))
        upcoming = try (json.optionalMember("next")?.elements() ?? []).map { element throws(HeraldClientError) in
            try Self.date(element)!
        }
    }

    private static func date(_ json: ResponseJSON?) throws(HeraldClientError) -> Date? {
        guard let json else { return nil }
        guard let date = RFC3339.parse(try json.string()) else {
            throw json.invalid("\(json.path) is not an RFC 3339 time")
        }
        return date
    }
}
