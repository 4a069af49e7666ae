import Foundation

/// A schedule as a ``ScheduleStore`` keeps it, with the state of its firing.
public struct StoredSchedule: Sendable, Hashable {
    /// The definition.
    public var schedule: Schedule
    /// Bumped by every save, pause and resume: a firing recorded against an older revision is ignored.
    public var revision: Int64
    /// The instant the schedule last fired for, if it has.
    public var lastFiredAt: Date?
    /// The next instant it fires at; `nil` when it never fires again (a single time that fired).
    public var nextFireAt: Date?

    /// Creates a stored schedule.
    public init(schedule: Schedule, revision: Int64, lastFiredAt: Date?, nextFireAt: Date?) {
        self.schedule = schedule
        self.revision = revision
        self.lastFiredAt = lastFiredAt
        self.nextFireAt = nextFireAt
    }

    /// The next `count` instants from ``nextFireAt`` on (fewer when the trigger ends), for status pages.
    public func upcoming(_ count: Int) -> [Date] {
        guard let first = nextFireAt, count > 0 else { return [] }
        var instants = [first]
        while instants.count < count, let next = schedule.trigger.nextFire(after: instants[instants.count - 1]) {
            instants.append(next)
        }
        return instants
    }
}
