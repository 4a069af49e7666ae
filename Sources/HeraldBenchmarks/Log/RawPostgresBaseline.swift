import Foundation
import Herald
import Logging
import NIOCore
import PostgresNIO

/// What the database allows, through the same driver (postgres-nio):
/// - appending: the rows `append_batch100` stores, inserted by one plain multi-row INSERT of 100 rows per
///   statement (each its own transaction, so one commit per 100 rows) into a bare table on one connection;
/// - consuming: those rows as a queue, 4 connections each taking the oldest 100 not locked by another and
///   deleting them in one statement (`DELETE ... FOR UPDATE SKIP LOCKED ... RETURNING`, one commit per
///   batch), the usual PostgreSQL work queue.
///
/// The table has the columns of Herald's `events` table with the same values (the event in Herald's record
/// form, sequences 1...n) and its primary key and `(source, id)` unique index, but none of its secondary
/// indexes; it lives in a schema of its own, dropped at the end.
enum RawPostgresBaseline {
    static func appendBatches(events: [Event], database: PostgresBenchDatabase) async throws -> BenchResult {
        let schema = "bench_raw_" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let rows = events.enumerated().map { index, event in
            (
                sequence: Int64(index + 1), event: event,
                record: ByteBuffer(bytes: EventRecordCodec.encode(event))
            )
        }
        let storedAt = Date().timeIntervalSinceReferenceDate
        return try await database.client.withConnection { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA \(schema)"), logger: connection.logger)
            do {
                try await connection.query(
                    PostgresQuery(
                        unsafeSQL: """
                            CREATE TABLE \(schema).events (sequence bigint PRIMARY KEY, source text NOT NULL,
                                id text NOT NULL, type text COLLATE "C" NOT NULL, subject text, time float8,
                                partition_key text, stored_at float8 NOT NULL, event bytea NOT NULL, UNIQUE (source, id))
                            """),
                    logger: connection.logger)
                let elapsed = try await ContinuousClock().measure {
                    var start = 0
                    while start < rows.count {
                        let end = min(start + 100, rows.count)
                        var bindings = PostgresBindings(capacity: (end - start) * 9)
                        var values: [String] = []
                        values.reserveCapacity(end - start)
                        for row in rows[start..<end] {
                            let first = bindings.count + 1
                            values.append("(" + (first..<first + 9).map { "$\($0)" }.joined(separator: ", ") + ")")
                            bindings.append(row.sequence)
                            bindings.append(row.event.source)
                            bindings.append(row.event.id)
                            bindings.append(row.event.type)
                            bindings.append(row.event.subject)
                            bindings.append(row.event.time?.timeIntervalSinceReferenceDate)
                            bindings.append(row.event.partitionKey)
                            bindings.append(storedAt)
                            bindings.append(row.record)
                        }
                        let sql = """
                            INSERT INTO \(schema).events
                                (sequence, source, id, type, subject, time, partition_key, stored_at, event)
                            VALUES \(values.joined(separator: ", "))
                            """
                        try await connection.query(
                            PostgresQuery(unsafeSQL: sql, binds: bindings), logger: connection.logger)
                        start = end
                    }
                }
                try await connection.query(
                    PostgresQuery(unsafeSQL: "DROP SCHEMA \(schema) CASCADE"), logger: connection.logger)
                return BenchResult(
                    suite: "log", case: "append_batch100", impl: "raw-postgres",
                    eventsPerSecond: Double(events.count) / elapsed.inSeconds, p50Microseconds: 0, p99Microseconds: 0)
            } catch {
                _ = try? await connection.query(
                    PostgresQuery(unsafeSQL: "DROP SCHEMA \(schema) CASCADE"), logger: connection.logger)
                throw error
            }
        }
    }

    static func consume(events: [Event], database: PostgresBenchDatabase, connections: Int = 4) async throws
        -> BenchResult
    {
        let schema = "bench_raw_" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        try await database.client.withConnection { connection in
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        CREATE SCHEMA \(schema);
                        """), logger: connection.logger)
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        CREATE TABLE \(schema).queue (sequence bigint PRIMARY KEY, partition_key text,
                            event bytea NOT NULL)
                        """), logger: connection.logger)
            var start = 0
            while start < events.count {
                let end = min(start + 1_000, events.count)
                var bindings = PostgresBindings(capacity: (end - start) * 3)
                var values: [String] = []
                for (index, event) in events[start..<end].enumerated() {
                    let first = bindings.count + 1
                    values.append("($\(first), $\(first + 1), $\(first + 2))")
                    bindings.append(Int64(start + index + 1))
                    bindings.append(event.partitionKey)
                    bindings.append(ByteBuffer(bytes: EventRecordCodec.encode(event)))
                }
                try await connection.query(
                    PostgresQuery(
                        unsafeSQL: "INSERT INTO \(schema).queue VALUES \(values.joined(separator: ", "))",
                        binds: bindings),
                    logger: connection.logger)
                start = end
            }
        }
        let sql = """
            DELETE FROM \(schema).queue WHERE sequence IN (
                SELECT sequence FROM \(schema).queue ORDER BY sequence LIMIT 100 FOR UPDATE SKIP LOCKED)
            RETURNING sequence, event
            """
        do {
            let elapsed = try await ContinuousClock().measure {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<connections {
                        group.addTask {
                            try await database.client.withConnection { connection in
                                while true {
                                    var count = 0
                                    let rows = try await connection.query(
                                        PostgresQuery(unsafeSQL: sql), logger: connection.logger)
                                    for try await _ in rows.decode((Int64, ByteBuffer).self) { count += 1 }
                                    if count == 0 { return }
                                }
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            try await database.client.query(
                PostgresQuery(unsafeSQL: "DROP SCHEMA \(schema) CASCADE"), logger: Logger(label: "herald-bench"))
            return BenchResult(
                suite: "log", case: "consume4", impl: "raw-postgres",
                eventsPerSecond: Double(events.count) / elapsed.inSeconds, p50Microseconds: 0, p99Microseconds: 0)
        } catch {
            _ = try? await database.client.query(
                PostgresQuery(unsafeSQL: "DROP SCHEMA \(schema) CASCADE"), logger: Logger(label: "herald-bench"))
            throw error
        }
    }
}
