import Foundation
import Herald
import SQLiteNIO

extension WriteContext {
    private static let eventColumns = [
        "sequence", "source", "id", "type", "subject", "time", "partition_key", "stored_at", "event",
    ]
    private static let scheduledColumns = [
        "source", "id", "type", "subject", "time", "partition_key", "deliver_at", "event",
    ]

    /// Appends batches in order, each atomically: a batch whose stream expectation fails gets a
    /// ``EventLogError/Code/versionConflict`` and writes nothing, the others are written. Checks every
    /// batch against the log and against the batches before it, so that nothing written needs undoing.
    ///
    /// Batches must be valid and their events must carry the expected stream as subject (checked by
    /// ``SQLiteEventStore/append(_:expecting:)`` before).
    func append(_ batches: [AppendBatch]) async throws -> [Result<[AppendResult], EventLogError>] {
        try await promoteDueEvents()
        let known = try await outcomes(of: AppendPlanner.keys(of: batches))
        let versions = try await versions(of: Array(Set(batches.compactMap(\.expectation?.stream))))
        var eventRows: [[SQLiteData]] = []
        var scheduledRows: [[SQLiteData]] = []
        let (results, last) = AppendPlanner.plan(
            batches,
            known: known,
            versions: versions,
            lastSequence: lastSequence,
            now: now,
            store: { event, sequence in
                eventRows.append(Self.columns(of: event, extra: [sequence.stored]) + [now.stored, encoded(event)])
            },
            schedule: { event, deliverAt in
                scheduledRows.append(Self.columns(of: event, extra: []) + [deliverAt.stored, encoded(event)])
                earliestDue = min(earliestDue ?? deliverAt, deliverAt)
            }
        )
        lastSequence = last
        try await insert(into: "events", columns: Self.eventColumns, rows: eventRows)
        try await insert(into: "scheduled", columns: Self.scheduledColumns, rows: scheduledRows)
        if !eventRows.isEmpty || !scheduledRows.isEmpty { changed = true }
        return results
    }

    /// Appends batches with one `INSERT` and no transaction around it, when that is all they need: no
    /// stream expectation, nothing scheduled (stored or in the batches), no key twice, and few enough
    /// events for one statement. Returns `nil`, having written nothing, when they need more or when an
    /// event repeats a stored one (the `INSERT` fails on the unique key); ``append(_:)`` in a transaction
    /// then does it.
    ///
    /// Run it outside a transaction, so that SQLite commits the `INSERT` on its own.
    func appendInOneStatement(_ batches: [AppendBatch]) async throws -> [Result<[AppendResult], EventLogError>]? {
        // `earliestDue` is nil exactly when no scheduled event is stored: none is due, none can be repeated.
        guard earliestDue == nil, batches.allSatisfy({ $0.expectation == nil }) else { return nil }
        let count = batches.reduce(0) { $0 + $1.events.count }
        guard count * Self.eventColumns.count <= Self.maximumBindings else { return nil }
        var keys = Set<EventKey>(minimumCapacity: count)
        var rows: [[SQLiteData]] = []
        rows.reserveCapacity(count)
        var results: [Result<[AppendResult], EventLogError>] = []
        results.reserveCapacity(batches.count)
        var sequence = lastSequence
        for batch in batches {
            var batchResults: [AppendResult] = []
            batchResults.reserveCapacity(batch.events.count)
            for event in batch.events {
                if let deliverAt = event.deliverAt, deliverAt > now { return nil }
                guard keys.insert(EventKey(event)).inserted else { return nil }
                sequence += 1
                rows.append(Self.columns(of: event, extra: [sequence.stored]) + [now.stored, encoded(event)])
                batchResults.append(
                    AppendResult(id: event.id, source: event.source, outcome: .stored(sequence: sequence)))
            }
            results.append(.success(batchResults))
        }
        do {
            try await insert(into: "events", columns: Self.eventColumns, rows: rows)
        } catch let error as SQLiteError where error.reason == .constraintUniqueFailed {
            return nil
        }
        lastSequence = sequence
        changed = true
        return results
    }

    /// Moves the scheduled events whose time has come into the log, in order of due time (then of
    /// scheduling), with new sequences.
    func promoteDueEvents() async throws {
        guard let due = earliestDue, due <= now else { return }
        let dueCount =
            try await query("SELECT count(*) AS due FROM scheduled WHERE deliver_at <= ?", [now.stored])
            .first?.column("due")?.integer ?? 0
        if dueCount > 0 {
            try await query(
                """
                INSERT INTO events (sequence, source, id, type, subject, time, partition_key, stored_at, event)
                SELECT ? + row_number() OVER (ORDER BY deliver_at, position), source, id, type, subject, time,
                    partition_key, ?, event
                FROM scheduled WHERE deliver_at <= ? ORDER BY deliver_at, position
                """,
                [lastSequence.stored, now.stored, now.stored]
            )
            try await query("DELETE FROM scheduled WHERE deliver_at <= ?", [now.stored])
            lastSequence += Int64(dueCount)
            changed = true
        }
        earliestDue = Date(
            stored: try await query("SELECT min(deliver_at) AS due FROM scheduled").first?.column("due")
        )
    }

    /// The outcome a new append of each key gets: a duplicate of a stored or a scheduled event.
    private func outcomes(of keys: [EventKey]) async throws -> [EventKey: AppendResult.Outcome] {
        var outcomes: [EventKey: AppendResult.Outcome] = [:]
        for start in stride(from: 0, to: keys.count, by: 500) {
            let chunk = keys[start..<min(start + 500, keys.count)]
            let values = Array(repeating: "(?, ?, ?)", count: chunk.count).joined(separator: ", ")
            let rows = try await query(
                """
                WITH k (position, source, id) AS (VALUES \(values))
                SELECT k.position AS position, e.sequence AS sequence
                FROM k JOIN events AS e ON e.source = k.source AND e.id = k.id
                UNION ALL
                SELECT k.position, NULL FROM k JOIN scheduled AS s ON s.source = k.source AND s.id = k.id
                """,
                chunk.enumerated().flatMap { offset, key in
                    [.integer(start + offset), .text(key.source), .text(key.id)] as [SQLiteData]
                }
            )
            for row in rows {
                guard let position = row.column("position")?.integer else { continue }
                outcomes[keys[position]] =
                    row.column("sequence")?.integer.map { .duplicate(sequence: Int64($0)) } ?? .duplicateScheduled
            }
        }
        return outcomes
    }

    /// The current version (stored event count) of each stream.
    private func versions(of streams: [String]) async throws -> [String: Int] {
        var versions: [String: Int] = [:]
        for start in stride(from: 0, to: streams.count, by: 500) {
            let chunk = streams[start..<min(start + 500, streams.count)]
            let values = Array(repeating: "(?, ?)", count: chunk.count).joined(separator: ", ")
            let rows = try await query(
                """
                WITH k (position, subject) AS (VALUES \(values))
                SELECT k.position AS position, (SELECT count(*) FROM events WHERE subject = k.subject) AS version
                FROM k
                """,
                chunk.enumerated().flatMap { offset, stream in
                    [.integer(start + offset), .text(stream)] as [SQLiteData]
                }
            )
            for row in rows {
                guard let position = row.column("position")?.integer else { continue }
                versions[streams[position]] = row.column("version")?.integer ?? 0
            }
        }
        return versions
    }

    /// The query columns of an event (`source` to `partition_key`), after `extra`.
    private static func columns(of event: Event, extra: [SQLiteData]) -> [SQLiteData] {
        extra + [
            .text(event.source), .text(event.id), .text(event.type), event.subject.map(SQLiteData.text) ?? .null,
            event.time?.stored ?? .null, event.partitionKey.map(SQLiteData.text) ?? .null,
        ]
    }

    private func encoded(_ event: Event) -> SQLiteData {
        EventRecordCodec.encode(event).sqliteData ?? .null
    }
}
