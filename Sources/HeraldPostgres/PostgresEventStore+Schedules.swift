import Foundation
import Herald
import NIOCore
import PostgresNIO

/// Schedules: a row per schedule in the `schedules` table, with its definition in its JSON form
/// (``Schedule/jsonData()``) and its firing state in columns; each change is one statement.
extension PostgresEventStore: ScheduleStore {
    /// Creates or replaces a schedule; see ``ScheduleStore/saveSchedule(_:)``.
    public func saveSchedule(_ schedule: Schedule) async throws -> (stored: StoredSchedule, created: Bool) {
        try schedule.validate()
        return try await operation("saveSchedule") {
            let next = schedule.firstFire(after: clock.now)
            let definition = ByteBuffer(bytes: schedule.jsonData())
            let t = tables
            let (revision, lastFired) = try await withConnection("saveSchedule") { connection in
                let rows = try await connection.query(
                    """
                    INSERT INTO \(unescaped: t.schedules) AS s (name, definition, revision, last_fired_at, next_fire_at)
                    VALUES (\(schedule.name), \(definition), 1, NULL, \(next?.timeIntervalSinceReferenceDate))
                    ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, revision = s.revision + 1,
                        next_fire_at = excluded.next_fire_at
                    RETURNING revision, last_fired_at
                    """,
                    logger: self.logger
                )
                var result: (Int64, Double?) = (1, nil)
                for try await row in rows.decode((Int64, Double?).self) { result = row }
                return result
            }
            let stored = StoredSchedule(
                schedule: schedule,
                revision: revision,
                lastFiredAt: lastFired.map(Date.init(timeIntervalSinceReferenceDate:)),
                nextFireAt: next
            )
            return (stored, revision == 1)
        }
    }

    /// The schedule with this name, or `nil`.
    public func schedule(named name: String) async throws -> StoredSchedule? {
        try await operation("schedule") {
            try await readSchedules(
                "SELECT \(unescaped: Self.scheduleColumns) FROM \(unescaped: tables.schedules) WHERE name = \(name)"
            ).first
        }
    }

    /// Every schedule, sorted by name.
    public func schedules() async throws -> [StoredSchedule] {
        try await operation("schedules") {
            try await readSchedules(
                "SELECT \(unescaped: Self.scheduleColumns) FROM \(unescaped: tables.schedules) ORDER BY name"
            )
        }
    }

    /// Deletes a schedule; returns whether it existed.
    public func deleteSchedule(named name: String) async throws -> Bool {
        try await operation("deleteSchedule") {
            let t = tables
            return try await withConnection("deleteSchedule") { connection in
                try await self.single(
                    "DELETE FROM \(unescaped: t.schedules) WHERE name = \(name) RETURNING name",
                    String.self,
                    on: connection
                ) != nil
            }
        }
    }

    /// Pauses or resumes a schedule; see ``ScheduleStore/setSchedulePaused(named:_:)``.
    public func setSchedulePaused(named name: String, _ paused: Bool) async throws -> StoredSchedule? {
        try await operation("setSchedulePaused") {
            let now = clock.now
            let t = tables
            let url = url
            return try await withTransaction("setSchedulePaused") { connection in
                let rows = try await connection.query(
                    """
                    SELECT \(unescaped: Self.scheduleColumns) FROM \(unescaped: t.schedules) WHERE name = \(name)
                    FOR UPDATE
                    """,
                    logger: self.logger
                )
                var found: StoredSchedule?
                for try await row in rows { found = try Self.decodeSchedule(row, url: url, now: now) }
                guard var stored = found else { return nil }
                stored.schedule.isPaused = paused
                stored.revision += 1
                if !paused {
                    stored.nextFireAt = stored.schedule.nextFireOnResume(after: now, lastFiredAt: stored.lastFiredAt)
                }
                try await connection.query(
                    """
                    UPDATE \(unescaped: t.schedules) SET definition = \(ByteBuffer(bytes: stored.schedule.jsonData())),
                        revision = \(stored.revision), next_fire_at = \(stored.nextFireAt?.timeIntervalSinceReferenceDate)
                    WHERE name = \(name)
                    """,
                    logger: self.logger
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
            let t = tables
            return try await withConnection("recordScheduleFiring") { connection in
                try await self.single(
                    """
                    UPDATE \(unescaped: t.schedules)
                    SET last_fired_at = coalesce(\(firedAt?.timeIntervalSinceReferenceDate)::float8, last_fired_at),
                        next_fire_at = \(nextFireAt?.timeIntervalSinceReferenceDate)
                    WHERE name = \(name) AND revision = \(revision) RETURNING name
                    """,
                    String.self,
                    on: connection
                ) != nil
            }
        }
    }

    private static let scheduleColumns = "name, definition, revision, last_fired_at, next_fire_at"

    private func readSchedules(_ query: PostgresQuery) async throws -> [StoredSchedule] {
        let url = url
        let now = clock.now
        return try await withConnection("schedules") { connection in
            var schedules: [StoredSchedule] = []
            for try await row in try await connection.query(query, logger: self.logger) {
                schedules.append(try Self.decodeSchedule(row, url: url, now: now))
            }
            return schedules
        }
    }

    private static func decodeSchedule(_ row: PostgresRow, url: PostgresURL, now: Date) throws -> StoredSchedule {
        let (name, definition, revision, lastFired, nextFire) = try row.decode(
            (String, ByteBuffer, Int64, Double?, Double?).self
        )
        guard let schedule = try? Schedule.decode(json: Data(definition.readableBytesView), name: name, now: now) else {
            throw EventLogError(
                .storage,
                "schedule '\(name)' in \(url) cannot be read: the table was changed by hand or written by an "
                    + "incompatible Herald; delete the schedule and create it again"
            )
        }
        return StoredSchedule(
            schedule: schedule,
            revision: revision,
            lastFiredAt: lastFired.map(Date.init(timeIntervalSinceReferenceDate:)),
            nextFireAt: nextFire.map(Date.init(timeIntervalSinceReferenceDate:))
        )
    }
}
