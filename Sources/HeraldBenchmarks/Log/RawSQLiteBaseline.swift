import Foundation
import Herald
import SQLiteNIO

/// What the database allows: the same rows as `append_batch100`, inserted with plain prepared
/// multi-row INSERTs into a bare table through the same driver, 100 rows per transaction, with the same
/// durability settings as Herald's store (WAL, `synchronous=FULL`).
enum RawSQLiteBaseline {
    static func appendBatches(events: [Event], path: String) async throws -> BenchResult {
        let connection = try await SQLiteConnection.open(storage: .file(path: path))
        do {
            for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL"] {
                _ = try await connection.query(pragma)
            }
            _ = try await connection.query(
                """
                CREATE TABLE raw_events (sequence INTEGER PRIMARY KEY, id TEXT NOT NULL, source TEXT NOT NULL,
                type TEXT NOT NULL, partition_key TEXT, event BLOB NOT NULL, UNIQUE (source, id))
                """)
            let rows = events.map { event -> [SQLiteData] in
                [
                    .text(event.id), .text(event.source), .text(event.type),
                    event.partitionKey.map(SQLiteData.text) ?? .null,
                    event.jsonData().sqliteData ?? .null,
                ]
            }
            let elapsed = try await ContinuousClock().measure {
                var start = 0
                while start < rows.count {
                    let end = min(start + 100, rows.count)
                    let placeholders = Array(repeating: "(?, ?, ?, ?, ?)", count: end - start).joined(separator: ", ")
                    _ = try await connection.query("BEGIN IMMEDIATE")
                    _ = try await connection.query(
                        "INSERT INTO raw_events (id, source, type, partition_key, event) VALUES \(placeholders)",
                        Array(rows[start..<end].joined()))
                    _ = try await connection.query("COMMIT")
                    start = end
                }
            }
            try await connection.close()
            return BenchResult(
                suite: "log", case: "append_batch100", impl: "raw-sqlite",
                eventsPerSecond: Double(events.count) / elapsed.inSeconds, p50Microseconds: 0, p99Microseconds: 0)
        } catch {
            try? await connection.close()
            throw error
        }
    }
}
