import Foundation
import Synchronization

/// A ``ScheduleStore`` in memory: the reference implementation the durable backends match.
///
/// ``InMemoryEventStore`` keeps its schedules in one, on its own clock.
public final class InMemoryScheduleStore: ScheduleStore, Sendable {
    private let clock: any WallClock
    private let state = Mutex<[String: StoredSchedule]>([:])

    /// Creates an empty store whose next firings come from `clock`.
    public init(clock: any WallClock = SystemWallClock()) {
        self.clock = clock
    }

    public func saveSchedule(_ schedule: Schedule) async throws -> (stored: StoredSchedule, created: Bool) {
        try schedule.validate()
        let now = clock.now
        return state.withLock { schedules in
            let previous = schedules[schedule.name]
            let stored = StoredSchedule(
                schedule: schedule,
                revision: (previous?.revision ?? 0) + 1,
                lastFiredAt: previous?.lastFiredAt,
                nextFireAt: schedule.firstFire(after: now)
            )
            schedules[schedule.name] = stored
            return (stored, previous == nil)
        }
    }

    public func schedule(named name: String) async throws -> StoredSchedule? {
        state.withLock { $0[name] }
    }

    public func schedules() async throws -> [StoredSchedule] {
        state.withLock { $0.values.sorted { $0.schedule.name < $1.schedule.name } }
    }

    public func deleteSchedule(named name: String) async throws -> Bool {
        state.withLock { $0.removeValue(forKey: name) != nil }
    }

    public func setSchedulePaused(named name: String, _ paused: Bool) async throws -> StoredSchedule? {
        let now = clock.now
        return state.withLock { schedules in
            guard var stored = schedules[name] else { return nil }
            stored.schedule.isPaused = paused
            stored.revision += 1
            if !paused {
                stored.nextFireAt = stored.schedule.nextFireOnResume(after: now, lastFiredAt: stored.lastFiredAt)
            }
            schedules[name] = stored
            return stored
        }
    }

    public func recordScheduleFiring(named name: String, revision: Int64, firedAt: Date?, nextFireAt: Date?)
        async throws -> Bool
    {
        state.withLock { schedules in
            guard var stored = schedules[name], stored.revision == revision else { return false }
            if let firedAt { stored.lastFiredAt = firedAt }
            stored.nextFireAt = nextFireAt
            schedules[name] = stored
            return true
        }
    }
}
