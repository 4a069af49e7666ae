import Foundation
import Herald
import Logging
import NIOCore
import PostgresNIO

/// The statements of an appending transaction: lock the log head, deliver due scheduled events, check
/// duplicates and stream versions, insert, move the head and notify the other nodes.
///
/// Runs inside a transaction on one connection. Locking `log_head` first serialises appending transactions
/// across every node, so their commits come in sequence order.
struct PostgresAppendWriter: Sendable {
    let tables: PostgresTables
    let logger: Logger
    /// The store clock's time when the transaction began; every decision in it uses this instant.
    let now: Date

    /// Appends batches in order, each atomically: a batch whose stream expectation fails gets a
    /// ``EventLogError/Code/versionConflict`` and writes nothing, the others are written.
    ///
    /// Batches must be valid (``AppendBatch/validate(_:expecting:)``). Returns whether anything was written.
    func append(_ batches: [AppendBatch], on connection: PostgresConnection) async throws
        -> (results: [Result<[AppendResult], EventLogError>], wrote: Bool)
    {
        var (lastSequence, earliestDue) = try await lockHead(on: connection)
        var promoted = false
        if let due = earliestDue, due <= now {
            let count = try await promoteDueEvents(after: lastSequence, on: connection)
            lastSequence += count
            promoted = count > 0
            earliestDue = try await nextDue(on: connection)
        }
        let keys = AppendPlanner.keys(of: batches)
        let known = try await outcomes(of: keys, anyScheduled: earliestDue != nil, on: connection)
        let versions = try await versions(of: Array(Set(batches.compactMap(\.expectation?.stream))), on: connection)
        var eventRows = EventRows()
        var scheduledRows = EventRows()
        let (results, last) = AppendPlanner.plan(
            batches,
            known: known,
            versions: versions,
            lastSequence: lastSequence,
            now: now,
            store: { event, sequence in eventRows.append(event, position: Double(sequence), sequence: sequence) },
            schedule: { event, deliverAt in
                scheduledRows.append(event, position: deliverAt.timeIntervalSinceReferenceDate)
            }
        )
        lastSequence = last
        if !scheduledRows.isEmpty {
            try await connection.query(scheduledRows.insertScheduled(into: tables.scheduled), logger: logger)
        }
        let wrote = promoted || !eventRows.isEmpty || !scheduledRows.isEmpty
        let payload = Self.notificationPayload(scheduling: scheduledRows.earliestDeliverAt)
        if !eventRows.isEmpty {
            // One round trip for the rows and the head.
            try await connection.query(
                eventRows.insertEvents(into: tables, storedAt: now, movingHeadTo: lastSequence, notifying: payload),
                logger: logger
            )
        } else if wrote {
            try await moveHead(to: lastSequence, scheduling: scheduledRows.earliestDeliverAt, on: connection)
        }
        return (results, wrote)
    }

    /// Locks the log head and delivers the scheduled events that came due; returns whether there were any.
    func promoteDueEventsLockingHead(on connection: PostgresConnection) async throws -> Bool {
        let (lastSequence, earliestDue) = try await lockHead(on: connection)
        guard let due = earliestDue, due <= now else { return false }
        let count = try await promoteDueEvents(after: lastSequence, on: connection)
        guard count > 0 else { return false }
        try await moveHead(to: lastSequence + count, on: connection)
        return true
    }

    /// Locks the one row of `log_head` until the transaction ends; returns the head and the earliest due
    /// time of the scheduled events.
    func lockHead(on connection: PostgresConnection) async throws -> (Int64, Date?) {
        let query: PostgresQuery = """
            SELECT last_sequence, (SELECT min(deliver_at) FROM \(unescaped: tables.scheduled))
            FROM \(unescaped: tables.head) FOR UPDATE
            """
        var head: (Int64, Date?) = (0, nil)
        for try await (last, due) in try await connection.query(query, logger: logger).decode((Int64, Double?).self) {
            head = (last, due.map(Date.init(timeIntervalSinceReferenceDate:)))
        }
        return head
    }

    /// Sets the head and tells every node, at commit, that the log changed, and when the earliest of the events
    /// it scheduled comes due (so that nodes that only poll deliver them in time).
    func moveHead(to lastSequence: Int64, scheduling due: Date? = nil, on connection: PostgresConnection) async throws {
        let payload = Self.notificationPayload(scheduling: due)
        try await connection.query(
            """
            UPDATE \(unescaped: tables.head) SET last_sequence = \(lastSequence)
            RETURNING pg_notify(\(tables.channel), \(payload))::text
            """,
            logger: logger
        )
    }

    /// The `NOTIFY` payload of a commit: empty, or the due time of the earliest event it scheduled.
    static func notificationPayload(scheduling due: Date?) -> String {
        due.map { "due:\($0.timeIntervalSinceReferenceDate)" } ?? ""
    }

    /// Moves the scheduled events due by now into the log after `lastSequence`, in order of due time (then
    /// of scheduling); returns how many. The head must be locked.
    private func promoteDueEvents(after lastSequence: Int64, on connection: PostgresConnection) async throws -> Int64 {
        let now = now.timeIntervalSinceReferenceDate
        let rows = try await connection.query(
            """
            WITH due AS (
                DELETE FROM \(unescaped: tables.scheduled) WHERE deliver_at <= \(now)
                RETURNING position, source, id, type, subject, time, partition_key, deliver_at, event
            )
            INSERT INTO \(unescaped: tables.events)
                (sequence, source, id, type, subject, time, partition_key, stored_at, event)
            SELECT \(lastSequence) + row_number() OVER (ORDER BY deliver_at, position), source, id, type, subject,
                time, partition_key, \(now), event
            FROM due ORDER BY deliver_at, position
            RETURNING sequence
            """,
            logger: logger
        )
        var count: Int64 = 0
        for try await _ in rows.decode(Int64.self) { count += 1 }
        return count
    }

    private func nextDue(on connection: PostgresConnection) async throws -> Date? {
        var due: Date?
        for try await value in try await connection.query(
            "SELECT min(deliver_at) FROM \(unescaped: tables.scheduled)",
            logger: logger
        ).decode(Double?.self) {
            due = value.map(Date.init(timeIntervalSinceReferenceDate:))
        }
        return due
    }

    /// The outcome a new append of each key gets: a duplicate of a stored or a scheduled event.
    private func outcomes(of keys: [EventKey], anyScheduled: Bool, on connection: PostgresConnection) async throws
        -> [EventKey: AppendResult.Outcome]
    {
        var outcomes: [EventKey: AppendResult.Outcome] = [:]
        var bindings = PostgresBindings()
        bindings.append(keys.map(\.source))
        bindings.append(keys.map(\.id))
        var sql = """
            SELECT k.position, e.sequence
            FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k (source, id, position)
            JOIN \(tables.events) AS e ON e.source = k.source AND e.id = k.id
            """
        if anyScheduled {
            sql += """

                UNION ALL
                SELECT k.position, NULL
                FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k (source, id, position)
                JOIN \(tables.scheduled) AS s ON s.source = k.source AND s.id = k.id
                """
        }
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
        for try await (position, sequence) in rows.decode((Int64, Int64?).self) {
            outcomes[keys[Int(position) - 1]] = sequence.map { .duplicate(sequence: $0) } ?? .duplicateScheduled
        }
        return outcomes
    }

    /// The current version (stored event count) of each stream.
    private func versions(of streams: [String], on connection: PostgresConnection) async throws -> [String: Int] {
        guard !streams.isEmpty else { return [:] }
        var versions = Dictionary(uniqueKeysWithValues: streams.map { ($0, 0) })
        let rows = try await connection.query(
            """
            SELECT subject, count(*) FROM \(unescaped: tables.events) WHERE subject = ANY(\(streams)) GROUP BY subject
            """,
            logger: logger
        )
        for try await (subject, count) in rows.decode((String, Int64).self) { versions[subject] = Int(count) }
        return versions
    }
}

/// Events to insert with one `unnest` statement: one array per column, so that the statement's text and
/// parameter count do not depend on the number of rows.
struct EventRows {
    private var sequences: [Int64] = []
    private var sources: [String] = []
    private var ids: [String] = []
    private var types: [String] = []
    private var subjects: [String] = []
    private var hasSubject: [Bool] = []
    private var times: [Double] = []
    private var hasTime: [Bool] = []
    private var partitionKeys: [String] = []
    private var hasPartitionKey: [Bool] = []
    /// `deliver_at` for scheduled rows.
    private var positions: [Double] = []
    private var records: [ByteBuffer] = []

    var isEmpty: Bool { records.isEmpty }

    /// The earliest `deliver_at` of scheduled rows.
    var earliestDeliverAt: Date? { positions.min().map(Date.init(timeIntervalSinceReferenceDate:)) }

    mutating func append(_ event: Event, position: Double, sequence: Int64 = 0) {
        sequences.append(sequence)
        sources.append(event.source)
        ids.append(event.id)
        types.append(event.type)
        subjects.append(event.subject ?? "")
        hasSubject.append(event.subject != nil)
        times.append(event.time?.timeIntervalSinceReferenceDate ?? 0)
        hasTime.append(event.time != nil)
        partitionKeys.append(event.partitionKey ?? "")
        hasPartitionKey.append(event.partitionKey != nil)
        positions.append(position)
        records.append(ByteBuffer(bytes: EventRecordCodec.encode(event)))
    }

    /// Inserts the rows into the events table and, in the same statement, sets the head to `lastSequence`
    /// and notifies the other nodes with `payload` (at commit), as
    /// ``PostgresAppendWriter/moveHead(to:scheduling:on:)`` does.
    func insertEvents(
        into tables: PostgresTables,
        storedAt: Date,
        movingHeadTo lastSequence: Int64,
        notifying payload: String
    ) -> PostgresQuery {
        """
        WITH inserted AS (
        INSERT INTO \(unescaped: tables.events) (sequence, source, id, type, subject, time, partition_key, stored_at, event)
        SELECT u.sequence, u.source, u.id, u.type, CASE WHEN u.has_subject THEN u.subject END,
            CASE WHEN u.has_time THEN u.time END, CASE WHEN u.has_key THEN u.key END, \(storedAt.timeIntervalSinceReferenceDate),
            u.event
        FROM unnest(\(sequences)::int8[], \(sources)::text[], \(ids)::text[], \(types)::text[], \(subjects)::text[],
            \(hasSubject)::bool[], \(times)::float8[], \(hasTime)::bool[], \(partitionKeys)::text[],
            \(hasPartitionKey)::bool[], \(records)::bytea[])
            AS u (sequence, source, id, type, subject, has_subject, time, has_time, key, has_key, event)
        )
        UPDATE \(unescaped: tables.head) SET last_sequence = \(lastSequence)
        RETURNING pg_notify(\(tables.channel), \(payload))::text
        """
    }

    func insertScheduled(into table: String) -> PostgresQuery {
        """
        INSERT INTO \(unescaped: table) (source, id, type, subject, time, partition_key, deliver_at, event)
        SELECT u.source, u.id, u.type, CASE WHEN u.has_subject THEN u.subject END,
            CASE WHEN u.has_time THEN u.time END, CASE WHEN u.has_key THEN u.key END, u.deliver_at, u.event
        FROM unnest(\(sources)::text[], \(ids)::text[], \(types)::text[], \(subjects)::text[], \(hasSubject)::bool[],
            \(times)::float8[], \(hasTime)::bool[], \(partitionKeys)::text[], \(hasPartitionKey)::bool[],
            \(positions)::float8[], \(records)::bytea[])
            AS u (source, id, type, subject, has_subject, time, has_time, key, has_key, deliver_at, event)
        ORDER BY u.deliver_at
        """
    }
}

extension PostgresEventStore {
    /// Commits queued appends until the queue is empty, each batch in one transaction (see
    /// ``GroupCommitQueue/drain(mapError:retriesAlone:commit:)``); a batch that fails because the database
    /// cannot be reached fails each of its appends at once rather than one by one.
    func flushAppends() async {
        await appendQueue.drain(
            mapError: { PostgresStorageFailure.map($0, url: url, operation: "append") },
            retriesAlone: { ($0 as? EventLogError)?.code != .unavailable }
        ) { requests in
            let batches = requests.map(\.batch)
            let now = clock.now
            let (results, wrote) = try await withTransaction("append") { connection in
                try await PostgresAppendWriter(tables: self.tables, logger: self.logger, now: now)
                    .append(batches, on: connection)
            }
            if wrote {
                changes.signal()
                if batches.contains(where: { $0.events.contains { $0.deliverAt != nil } }) {
                    _ = try? await headState()
                }
            }
            return results.map { $0.mapError { $0 } }
        }
    }
}
