import Foundation

/// Where schedules live: the storage protocol of the ``Scheduler``, which every backend (in memory, SQLite,
/// PostgreSQL) implements and `HeraldTesting`'s schedule conformance cases check.
///
/// The store computes ``StoredSchedule/nextFireAt`` from its own ``WallClock`` when a schedule is saved or
/// resumed, so the scheduler and `deliverat` share one notion of time.
public protocol ScheduleStore: Sendable {
    /// Creates a schedule, or replaces the one with its name (keeping when that one last fired); returns it
    /// as stored and whether it is new. Its next firing is its first instant after now.
    ///
    /// - Throws: ``ScheduleDefinitionError`` for an invalid schedule.
    func saveSchedule(_ schedule: Schedule) async throws -> (stored: StoredSchedule, created: Bool)

    /// The schedule with this name, or `nil`.
    func schedule(named name: String) async throws -> StoredSchedule?

    /// Every schedule, sorted by name.
    func schedules() async throws -> [StoredSchedule]

    /// Deletes a schedule; returns whether it existed.
    func deleteSchedule(named name: String) async throws -> Bool

    /// Pauses or resumes a schedule and returns it, or `nil` when there is none by that name. Resuming sets
    /// its next firing to its first instant after now: what passed while it was paused is skipped.
    func setSchedulePaused(named name: String, _ paused: Bool) async throws -> StoredSchedule?

    /// Records that the schedule fired for `firedAt` (or, when `nil`, that it skipped instants) and fires
    /// next at `nextFireAt`; returns `false`, changing nothing, when the schedule is gone or its revision is
    /// no longer `revision` (it was replaced, paused or resumed meanwhile).
    func recordScheduleFiring(named name: String, revision: Int64, firedAt: Date?, nextFireAt: Date?) async throws
        -> Bool
}
