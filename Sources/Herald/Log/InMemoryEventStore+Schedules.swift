import Foundation

/// The schedules of an in-memory event store: an ``InMemoryScheduleStore`` on the store's clock, so that one
/// store serves the log, the locks and the schedules of a ``Scheduler``.
extension InMemoryEventStore: ScheduleStore {
    public func saveSchedule(_ schedule: Schedule) async throws -> (stored: StoredSchedule, created: Bool) {
        try await scheduleStore.saveSchedule(schedule)
    }

    public func schedule(named name: String) async throws -> StoredSchedule? {
        try await scheduleStore.schedule(named: name)
    }

    public func schedules() async throws -> [StoredSchedule] {
        try await scheduleStore.schedules()
    }

    public func deleteSchedule(named name: String) async throws -> Bool {
        try await scheduleStore.deleteSchedule(named: name)
    }

    public func setSchedulePaused(named name: String, _ paused: Bool) async throws -> StoredSchedule? {
        try await scheduleStore.setSchedulePaused(named: name, paused)
    }

    public func recordScheduleFiring(named name: String, revision: Int64, firedAt: Date?, nextFireAt: Date?)
        async throws -> Bool
    {
        try await scheduleStore.recordScheduleFiring(
            named: name,
            revision: revision,
            firedAt: firedAt,
            nextFireAt: nextFireAt
        )
    }
}
