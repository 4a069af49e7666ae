import Foundation
import Herald
import SQLiteNIO

/// Schedules: a row per schedule in the `schedules` table, with its definition in its JSON form
/// (``Schedule/jsonData()``) and its firing state in columns. Each change is one statement on the write
/// connection, which commits atomically on its own.
extension SQLiteEventStore: ScheduleStore {
    /// Creates or replaces a schedule; see ``ScheduleStore/saveSchedule(_:)``.
    public func saveSchedule(_ schedule: Schedule) async throws -> (stored: StoredSchedule, created: Bool) {
        try schedule.validate()
        return try await operation("saveSchedule") {
            try await withWriter { context in
                let next = schedule.firstFire(after: context.now)
                let row = try await context.query(
                    """
                    INSERT INTO schedules (name, definition, revision, last_fired_at, next_fire_at)
                    VALUES (?1, ?2, 1, NULL, ?3)
                    ON CONFLICT (name) DO UPDATE SET definition = excluded.definition,
                        revision = schedules.revision + 1, next_fire_at = excluded.next_fire_at
                    RETURNING revision, last_fired_at
                    """,
                    [.text(schedule.name), schedule.jsonData().sqliteData ?? .null, next.map(\.stored) ?? .null]
                ).first
                let revision = Int64(row?.column("revision")?.integer ?? 1)
                let stored = StoredSchedule(
                    schedule: schedule,
                    revision: revision,
                    lastFiredAt: Date(stored: row?.column("last_fired_at")),
                    nextFireAt: next
                )
                return (stored, revision == 1)
            }
        }
    }

    /// The schedule with this name, or `nil`.
    public func schedule(named name: String) async throws -> StoredSchedule? {
        try await operation("schedule") {
            try await reader().query(
                "SELECT \(Self.scheduleColumns) FROM schedules WHERE name = ?",
                [.text(name)]
            ).first.map(decodeSchedule)
        }
    }

    /// Every schedule, sorted by name.
    public func schedules() async throws -> [StoredSchedule] {
        try await operation("schedules") {
            try await reader().query("SELECT \(Self.scheduleColumns) FROM schedules ORDER BY name").map(decodeSchedule)
        }
    }

    /// Deletes a schedule; returns whether it existed.
    public func deleteSchedule(named name: String) async throws -> Bool {
        try await operation("deleteSchedule") {
            try await withWriter { context in
                try await !context.query("DELETE FROM schedules WHERE name = ? RETURNING name", [.text(name)]).isEmpty
            }
        }
    }

    /// Pauses or resumes a schedule; see ``ScheduleStore/setSchedulePaused(named:_:)``.
    public func setSchedulePaused(named name: String, _ paused: Bool) async throws -> StoredSchedule? {
        try await operation("setSchedulePaused") {
            try await writeTransaction { context in
                guard
                    let row = try await context.query(
                        "SELECT \(Self.scheduleColumns) FROM schedules WHERE name = ?",
                        [.text(name)]
                    ).first
                else { return nil }
                var stored = try decodeSchedule(row)
                stored.schedule.isPaused = paused
                stored.revision += 1
                if !paused {
                    stored.nextFireAt = stored.schedule.nextFireOnResume(
                        after: context.now, lastFiredAt: stored.lastFiredAt)
                }
                try await context.query(
                    "UPDATE schedules SET definition = ?, revision = ?, next_fire_at = ? WHERE name = ?",
                    [
                        stored.schedule.jsonData().sqliteData ?? .null, stored.revision.stored,
                        stored.nextFireAt.map(\.stored) ?? .null, .text(name),
                    ]
                )
                return stored
            }
        }
    }

    /// Records a firing against the current revision; see
    /// ``ScheduleStore/recordScheduleFiring(named:revision:firedAt:nextFireAt:)``.
    public func recordScheduleFiring(named name: String, revision: Int64, firedAt: Date?, nextFireAt: Date?)
        async throws -> Bool
    {
        try await operation("recordScheduleFiring") {
            try await withWriter { context in
                try await !context.query(
                    """
                    UPDATE schedules SET last_fired_at = coalesce(?3, last_fired_at), next_fire_at = ?4
                    WHERE name = ?1 AND revision = ?2 RETURNING name
                    """,
                    [.text(name), revision.stored, firedAt.map(\.stored) ?? .null, nextFireAt.map(\.stored) ?? .null]
                ).isEmpty
            }
        }
    }

    private static let scheduleColumns = "name, definition, revision, last_fired_at, next_fire_at"

    private func decodeSchedule(_ row: SQLiteRow) throws -> StoredSchedule {
        let name = row.column("name")?.string ?? ""
        guard let definition = row.column("definition").flatMap(Data.init(sqliteData:)),
            let schedule = try? Schedule.decode(json: definition, name: name, now: clock.now)
        else {
            throw EventLogError(
                .storage,
                "schedule '\(name)' in '\(path)' cannot be read: the database was changed by hand or written by an "
                    + "incompatible Herald; delete the schedule and create it again"
            )
        }
        return StoredSchedule(
            schedule: schedule,
            revision: Int64(row.column("revision")?.integer ?? 0),
            lastFiredAt: Date(stored: row.column("last_fired_at")),
            nextFireAt: Date(stored: row.column("next_fire_at"))
        )
    }
}
