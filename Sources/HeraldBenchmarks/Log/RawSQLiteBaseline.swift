import Foundation
import Herald
import SQLiteNIO

/// What the database allows, through the same driver with the same durability settings as Herald's store
/// (WAL, `synchronous=FULL`):
/// - appending: the same rows as `append_batch100`, inserted with plain prepared multi-row INSERTs into a
///   bare table, 100 rows per transaction;
/// - consuming: those rows as a queue, taken 100 at a time oldest first, each batch read and deleted in one
///   transaction (one durable commit per batch).
enum RawSQLiteBaseline {
    /// A connection to a new file at `path` with Herald's durability settings (WAL, `synchronous=FULL`).
    private static func open(_ path: String) async throws -> SQLiteConnection {
        let connection = try await SQLiteConnection.open(storage: .file(path: path))
        do {
            for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL"] {
                _ = try await connection.query(pragma)
            }
        } catch {
            try? await connection.close()
            throw error
        }
        return connection
    }

    static func appendBatches(events: [Event], path: String) async throws -> BenchResult {
        let connection = try await open(path)
        do {
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

    static func consume(events: [Event], path: String) async throws -> BenchResult {
        let connection = try await open(path)
        do {
            _ = try await connection.query(
                "CREATE TABLE raw_queue (sequence INTEGER PRIMARY KEY, partition_key TEXT, event BLOB NOT NULL)")
            var start = 0
            _ = try await connection.query("BEGIN IMMEDIATE")
            while start < events.count {
                let end = min(start + 100, events.count)
                let placeholders = Array(repeating: "(?, ?)", count: end - start).joined(separator: ", ")
                let values = events[start..<end].flatMap { event -> [SQLiteData] in
                    [event.partitionKey.map(SQLiteData.text) ?? .null, event.jsonData().sqliteData ?? .null]
                }
                _ = try await connection.query(
                    "INSERT INTO raw_queue (partition_key, event) VALUES \(placeholders)", values)
                start = end
            }
            _ = try await connection.query("COMMIT")
            var consumed = 0
            let elapsed = try await ContinuousClock().measure {
                while true {
                    _ = try await connection.query("BEGIN IMMEDIATE")
                    let rows = try await connection.query(
                        "SELECT sequence, event FROM raw_queue ORDER BY sequence LIMIT 100")
                    guard let last = rows.last?.column("sequence")?.integer else {
                        _ = try await connection.query("COMMIT")
                        break
                    }
                    _ = try await connection.query("DELETE FROM raw_queue WHERE sequence <= ?", [.integer(last)])
                    _ = try await connection.query("COMMIT")
                    consumed += rows.count
                }
            }
            try await connection.close()
            return BenchResult(
                suite: "log", case: "consume", impl: "raw-sqlite",
                eventsPerSecond: Double(consumed) / elapsed.inSeconds, p50Microseconds: 0, p99Microseconds: 0)
        } catch {
            try? await connection.close()
            throw error
        }
    }
}
