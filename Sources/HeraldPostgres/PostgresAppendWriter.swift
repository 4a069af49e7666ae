import Foundation
import Herald
import Logging
import NIOCore
import PostgresNIO

/// What an appending transaction wrote to the log: the first sequence of its range
/// (``PostgresLogHead/range(_:)``), to wait on after the commit until its events are readable, and the
/// earliest due time of the events it scheduled, to announce.
struct PostgresLogWrite: Sendable {
    let base: Int64
    var scheduling: Date?
}

/// The statements of an appending transaction: take the transaction's sequence range, lock the streams it
/// writes, deliver due scheduled events, check duplicates and stream versions, and insert.
///
/// Runs inside a transaction on one connection. Appending transactions on every node run at once: their
/// sequences come from their transaction ids (``PostgresLogHead``). What a lock on the whole log used to
/// order is ordered by narrower means:
/// - **Stream versions.** A transaction takes an advisory lock on each stream it writes (one of
///   ``streamLockBuckets`` by a hash of the subject), shared, or exclusive for a stream whose version it
///   checks; so a version is read only once every transaction that was writing the stream has ended.
/// - **Duplicates.** `(source, id)` is unique in each table: of two transactions storing one key at once,
///   the second waits for the first and, when that one commits, fails with a unique violation
///   (``PostgresStorageFailure/isUniqueViolation(_:)``); the append then runs again, and finds the key stored.
///   A plain insert costs less than `ON CONFLICT` on every row, and such a meeting is rare.
/// - **Scheduled events** come due in one transaction at a time (their rows are locked by the `DELETE`
///   that moves them), in order of due time.
struct PostgresAppendWriter: Sendable {
    let tables: PostgresTables
    let logger: Logger
    /// The store clock's time when the transaction began; every decision in it uses this instant.
    let now: Date

    /// How many advisory locks stand for the streams: a stream's lock is the one its subject hashes to, so
    /// that a transaction holds at most this many whatever the number of subjects it writes.
    static let streamLockBuckets = 64

    /// The most scheduled events one transaction moves into the log; a later one moves the rest.
    static let promotionsPerTransaction = 10_000

    /// Appends batches in order, each atomically: a batch whose stream expectation fails gets a
    /// ``EventLogError/Code/versionConflict`` and writes nothing, the others are written.
    ///
    /// Batches must be valid (``AppendBatch/validate(_:expecting:)``). Returns what was written, if anything.
    func append(_ batches: [AppendBatch], on connection: PostgresConnection) async throws
        -> (results: [Result<[AppendResult], EventLogError>], write: PostgresLogWrite?)
    {
        let keys = AppendPlanner.keys(of: batches)
        // The range and the keys known already in one round trip. A key another transaction stores meanwhile
        // makes the insert fail with a unique violation, and the append runs again.
        var (range, known) = try await lookUp(keys, takingRange: true, on: connection)
        guard var (base, next, earliestDue) = range else { throw missingHead }
        let promoting = earliestDue.map { $0 <= now } ?? false
        try await lockStreams(of: batches, all: promoting, on: connection)
        var wrote = false
        if promoting {
            let count = try await promoteDueEvents(from: next, on: connection)
            next += count
            wrote = count > 0
            earliestDue = try await nextDue(on: connection)
            // The events just moved into the log are stored keys too.
            known = try await lookUp(keys, takingRange: false, on: connection).known
        }
        let versions = try await versions(of: Array(Set(batches.compactMap(\.expectation?.stream))), on: connection)
        var eventRows = EventRows()
        var scheduledRows = EventRows()
        let (results, last) = AppendPlanner.plan(
            batches,
            known: known,
            versions: versions,
            lastSequence: next - 1,
            now: now,
            store: { event, sequence in eventRows.append(event, position: Double(sequence), sequence: sequence) },
            schedule: { event, deliverAt in
                scheduledRows.append(event, position: deliverAt.timeIntervalSinceReferenceDate)
            }
        )
        guard last < base + PostgresLogHead.eventsPerTransaction else {
            throw EventLogError(
                .invalidArgument,
                "one transaction can append at most \(PostgresLogHead.eventsPerTransaction) events; "
                    + "publish the rest in another transaction"
            )
        }
        if !scheduledRows.isEmpty {
            try await connection.query(scheduledRows.insertScheduled(into: tables.scheduled), logger: logger)
            wrote = true
        }
        if !eventRows.isEmpty {
            try await connection.query(eventRows.insertEvents(into: tables.events, storedAt: now), logger: logger)
            wrote = true
        }
        return (results, wrote ? PostgresLogWrite(base: base, scheduling: scheduledRows.earliestDeliverAt) : nil)
    }

    /// Delivers the scheduled events that came due; returns what it wrote, if anything.
    func promoteDueEvents(on connection: PostgresConnection) async throws -> PostgresLogWrite? {
        let (base, next, earliestDue) = try await takeRange(on: connection)
        guard let due = earliestDue, due <= now else { return nil }
        try await lockStreams(of: [], all: true, on: connection)
        let count = try await promoteDueEvents(from: next, on: connection)
        return count > 0 ? PostgresLogWrite(base: base) : nil
    }

    /// The first sequence of the transaction's range, the next free one and when the earliest scheduled event
    /// comes due (``PostgresLogHead/range(_:)``).
    private func takeRange(on connection: PostgresConnection) async throws -> (Int64, Int64, Date?) {
        guard let range = try await lookUp([], takingRange: true, on: connection).range else { throw missingHead }
        return range
    }

    /// The error of a schema whose one row of `log_head` is gone.
    private var missingHead: EventLogError {
        EventLogError(
            .storage,
            "the table \(tables.head) has lost its one row, so no sequence can be assigned: the schema was changed "
                + "by hand; restore it from a backup"
        )
    }

    /// Locks the streams the batches write until the transaction ends, in the order of their locks (so that
    /// two transactions never wait for each other): exclusively those whose version a batch checks, the
    /// others shared. `all` locks every stream's lock, as moving scheduled events of any subject needs.
    private func lockStreams(of batches: [AppendBatch], all: Bool, on connection: PostgresConnection) async throws {
        var subjects: [String] = []
        var exclusive: [Bool] = []
        for batch in batches {
            if let stream = batch.expectation?.stream {
                subjects.append(stream)
                exclusive.append(true)
            }
            for case let subject? in batch.events.map(\.subject) {
                subjects.append(subject)
                exclusive.append(false)
            }
        }
        guard all || !subjects.isEmpty else { return }
        let lastBucket = "\(Self.streamLockBuckets - 1)"
        try await connection.query(
            """
            WITH k AS (
                SELECT bucket, bool_or(exclusive) AS exclusive FROM (
                    SELECT hashtext(t.s) & \(unescaped: lastBucket) AS bucket, t.x AS exclusive
                    FROM unnest(\(subjects)::text[], \(exclusive)::bool[]) AS t (s, x)
                    UNION ALL
                    SELECT g, false FROM generate_series(0, CASE WHEN \(all) THEN \(unescaped: lastBucket) ELSE -1 END) AS g
                ) AS u
                GROUP BY bucket ORDER BY bucket
            )
            SELECT count(*) FROM k, LATERAL (
                SELECT CASE WHEN k.exclusive THEN pg_advisory_xact_lock(hashtext(\(streamLockName)), k.bucket)
                    ELSE pg_advisory_xact_lock_shared(hashtext(\(streamLockName)), k.bucket) END
            ) AS l
            """,
            logger: logger
        )
    }

    /// The name of the streams' advisory locks, with the schema's (two schemas never share one).
    private var streamLockName: String { "herald.streams." + tables.schemaName }

    /// Moves up to ``promotionsPerTransaction`` scheduled events due by now into the log from sequence
    /// `next`, in order of due time (then of scheduling); returns how many sequences it used. An event whose
    /// key was stored meanwhile is dropped as the duplicate it is.
    private func promoteDueEvents(from next: Int64, on connection: PostgresConnection) async throws -> Int64 {
        let now = now.timeIntervalSinceReferenceDate
        let rows = try await connection.query(
            """
            WITH due AS (
                DELETE FROM \(unescaped: tables.scheduled) WHERE position IN (
                    SELECT position FROM \(unescaped: tables.scheduled) WHERE deliver_at <= \(now)
                    ORDER BY deliver_at, position LIMIT \(Self.promotionsPerTransaction)
                )
                RETURNING position, source, id, type, subject, time, partition_key, deliver_at, event
            ),
            numbered AS (
                SELECT \(next) - 1 + row_number() OVER (ORDER BY deliver_at, position) AS sequence, * FROM due
            ),
            inserted AS (
                INSERT INTO \(unescaped: tables.events)
                    (sequence, source, id, type, subject, time, partition_key, stored_at, event)
                SELECT sequence, source, id, type, subject, time, partition_key, \(now), event
                FROM numbered ORDER BY source, id
                ON CONFLICT (source, id) DO NOTHING
                RETURNING sequence
            )
            SELECT count(*), (SELECT count(*) FROM inserted) FROM numbered
            """,
            logger: logger
        )
        var used: Int64 = 0
        for try await (numbered, _) in rows.decode((Int64, Int64).self) { used = numbered }
        return used
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

    /// The outcome a new append of each key gets (a duplicate of a stored or a scheduled event) and, when
    /// `takingRange`, the transaction's range (``takeRange(on:)``), in one statement.
    private func lookUp(_ keys: [EventKey], takingRange: Bool, on connection: PostgresConnection) async throws
        -> (range: (Int64, Int64, Date?)?, known: [EventKey: AppendResult.Outcome])
    {
        var bindings = PostgresBindings()
        bindings.append(keys.map(\.source))
        bindings.append(keys.map(\.id))
        let range = PostgresLogHead.range(tables)
        var sql = takingRange ? "WITH \(range.with)\nSELECT 0::int8, \(range.columns)\nUNION ALL\n" : ""
        sql += """
            SELECT k.position, e.sequence, NULL::int8, NULL::float8
            FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k (source, id, position)
            JOIN \(tables.events) AS e ON e.source = k.source AND e.id = k.id
            UNION ALL
            SELECT k.position, NULL, NULL, NULL
            FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k (source, id, position)
            JOIN \(tables.scheduled) AS s ON s.source = k.source AND s.id = k.id
            """
        var found: (Int64, Int64, Date?)?
        var known: [EventKey: AppendResult.Outcome] = [:]
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
        for try await (position, sequence, next, due) in rows.decode((Int64, Int64?, Int64?, Double?).self) {
            if position == 0, let base = sequence, let next {
                found = (base, next, due.map(Date.init(timeIntervalSinceReferenceDate:)))
            } else if position > 0 {
                known[keys[Int(position) - 1]] = sequence.map { .duplicate(sequence: $0) } ?? .duplicateScheduled
            }
        }
        return (found, known)
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
    var count: Int { records.count }

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

    /// Inserts the rows into the events table.
    func insertEvents(into table: String, storedAt: Date) -> PostgresQuery {
        """
        INSERT INTO \(unescaped: table) (sequence, source, id, type, subject, time, partition_key, stored_at, event)
        SELECT u.sequence, u.source, u.id, u.type, CASE WHEN u.has_subject THEN u.subject END,
            CASE WHEN u.has_time THEN u.time END, CASE WHEN u.has_key THEN u.key END, \(storedAt.timeIntervalSinceReferenceDate),
            u.event
        FROM unnest(\(sequences)::int8[], \(sources)::text[], \(ids)::text[], \(types)::text[], \(subjects)::text[],
            \(hasSubject)::bool[], \(times)::float8[], \(hasTime)::bool[], \(partitionKeys)::text[],
            \(hasPartitionKey)::bool[], \(records)::bytea[])
            AS u (sequence, source, id, type, subject, has_subject, time, has_time, key, has_key, event)
        """
    }

    /// Inserts the rows into the scheduled events.
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
            let (results, write) = try await PostgresStorageFailure.retryingUniqueViolations {
                try await withLogTransaction("append") { connection in
                    try await PostgresAppendWriter(tables: self.tables, logger: self.logger, now: now)
                        .append(batches, on: connection)
                }
            }
            if write?.scheduling != nil { _ = try? await headState() }
            return results.map { $0.mapError { $0 } }
        }
    }
}
