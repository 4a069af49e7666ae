import Foundation

/// A named trigger and the event it publishes each time it fires.
///
/// Schedules live in a ``ScheduleStore`` (in memory, SQLite or PostgreSQL), so they survive restarts, and a
/// ``Scheduler`` fires them. Its JSON form, which the HTTP API takes and the stores keep, is
///
/// ```json
/// {"cron": "*/5 * * * *", "timezone": "Europe/Berlin",
///  "event": {"type": "report.due", "source": "/reports", "data": {"kind": "hourly"}},
///  "missed": "fire_once", "paused": false}
/// ```
///
/// with exactly one of `cron` (and an optional `timezone`, UTC by default), `every_ms` (and an optional
/// `anchor`, an RFC 3339 time the intervals count from, by default when the schedule was made) or `at` (an
/// RFC 3339 time).
public struct Schedule: Sendable, Hashable {
    /// The schedule's name: 1 to 200 letters, digits, `.`, `_` and `-`.
    public var name: String
    /// When it fires.
    public var trigger: ScheduleTrigger
    /// What it publishes.
    public var event: EventTemplate
    /// What it does about instants missed while no scheduler ran.
    public var missedFires: MissedFirePolicy
    /// Whether it is paused: a paused schedule does not fire, and resuming it skips what passed meanwhile.
    public var isPaused: Bool

    /// Creates a schedule.
    public init(
        name: String,
        trigger: ScheduleTrigger,
        event: EventTemplate,
        missedFires: MissedFirePolicy = .fireOnce,
        isPaused: Bool = false
    ) {
        self.name = name
        self.trigger = trigger
        self.event = event
        self.missedFires = missedFires
        self.isPaused = isPaused
    }

    /// The longest name accepted.
    public static let maximumNameLength = 200

    /// Checks the name, the interval and the event template.
    ///
    /// - Throws: ``ScheduleDefinitionError`` naming the field at fault.
    public func validate() throws(ScheduleDefinitionError) {
        try Self.validate(name: name)
        if case .interval(let interval, _) = trigger, interval < ScheduleTrigger.minimumInterval {
            throw ScheduleDefinitionError(
                field: "every_ms",
                "the interval \(interval) is shorter than the shortest allowed, 10 ms"
            )
        }
        do {
            try event.event(schedule: name, instant: Date(timeIntervalSince1970: 0)).validate()
        } catch {
            throw ScheduleDefinitionError(field: "event", "the event template is not a valid event: \(error)")
        }
    }

    /// Checks a schedule name.
    public static func validate(name: String) throws(ScheduleDefinitionError) {
        let allowed = name.unicodeScalars.allSatisfy { scalar in
            ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
                || scalar == "." || scalar == "_" || scalar == "-"
        }
        guard !name.isEmpty, name.utf8.count <= maximumNameLength, allowed else {
            throw ScheduleDefinitionError(
                field: "name",
                "the schedule name '\(name.prefix(80))' is not allowed; use 1 to \(maximumNameLength) letters, "
                    + "digits, '.', '_' and '-'"
            )
        }
    }

    /// When the schedule fires first if saved at `now`: a single time as given (at once when it has passed),
    /// otherwise the trigger's first instant after `now`.
    public func firstFire(after now: Date) -> Date? {
        if case .once(let instant) = trigger { return instant }
        return trigger.nextFire(after: now)
    }

    /// When the schedule fires next if resumed at `now`: the first instant after `now`, so that nothing that
    /// passed while it was paused fires; a single time that has not fired yet fires at once.
    public func nextFireOnResume(after now: Date, lastFiredAt: Date?) -> Date? {
        if case .once(let instant) = trigger { return lastFiredAt == nil ? instant : nil }
        return trigger.nextFire(after: now)
    }
}
