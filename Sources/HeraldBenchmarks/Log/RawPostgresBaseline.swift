import Foundation
import Herald
import NIOCore
import PostgresNIO

/// What the database allows: the rows `append_batch100` stores, inserted by one plain multi-row INSERT of
/// 100 rows per statement (each its own transaction, so one commit per 100 rows) into a bare table through
/// the same driver (postgres-nio) on one connection.
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
}
