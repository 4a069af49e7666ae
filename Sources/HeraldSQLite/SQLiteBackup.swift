import Foundation
import Herald
import Logging
import NIOPosix
import SQLiteNIO

/// A consistent copy of a Herald SQLite database, made while a server may be writing to it.
public enum SQLiteBackup {
    /// What a backup copied.
    public struct Summary: Sendable, Equatable {
        /// The highest sequence in the copy: every event up to it that the log held is in the copy.
        public var lastSequence: Int64
        /// How many events the copy holds.
        public var events: Int64
    }

    /// Copies the database at `path` to a new file at `destination`.
    ///
    /// The copy is one snapshot of the database (SQLite's `VACUUM INTO`): every append and ack committed before
    /// the copy began is in it, and nothing committed later is in it in part. It takes no lock of Herald's, so it
    /// runs beside the `herald serve` that has the file open; writers go on while it reads. The copy is synced
    /// to disk before this returns. Start a store on the copy to restore it (see docs/deploy.md).
    ///
    /// - Throws: ``EventLogError`` with code `storage` when `path` is not a Herald database, when `destination`
    ///   exists already (nothing is overwritten), or when SQLite fails; a failed copy is removed.
    public static func copy(
        databaseAt path: String, to destination: String, logger: Logger = Logger(label: "herald.sqlite")
    ) async throws -> Summary {
        guard FileManager.default.fileExists(atPath: path) else {
            throw EventLogError(.storage, "there is no database at '\(path)' to back up; check the path")
        }
        guard !FileManager.default.fileExists(atPath: destination) else {
            throw EventLogError(
                .storage, "the backup file '\(destination)' exists already; choose a new name or remove it first")
        }
        let threadPool = NIOThreadPool(numberOfThreads: 1)
        threadPool.start()
        defer { threadPool.shutdownGracefully { _ in } }
        do {
            let summary = try await withConnection(to: path, threadPool: threadPool, logger: logger) { source in
                _ = try await source.query("PRAGMA busy_timeout = 10000")
                guard try await SQLiteSchema.version(of: source) > 0 else {
                    throw EventLogError(
                        .storage, "'\(path)' is not a Herald event store (it has no Herald tables); check the path")
                }
                _ = try await source.query("VACUUM INTO ?", [.text(destination)])
                return try await withConnection(to: destination, threadPool: threadPool, logger: logger) { copy in
                    let row = try await copy.query("SELECT count(*) AS events, max(sequence) AS last FROM events").first
                    return Summary(
                        lastSequence: Int64(row?.column("last")?.integer ?? 0),
                        events: Int64(row?.column("events")?.integer ?? 0))
                }
            }
            // VACUUM INTO writes the copy without syncing it: sync it before calling it a backup.
            let handle = try FileHandle(forUpdating: URL(fileURLWithPath: destination))
            defer { try? handle.close() }
            try handle.synchronize()
            return summary
        } catch {
            try? FileManager.default.removeItem(atPath: destination)
            throw SQLiteStorageFailure.map(error, path: path, operation: "backing up to '\(destination)'")
        }
    }

    private static func withConnection<Value: Sendable>(
        to path: String, threadPool: NIOThreadPool, logger: Logger,
        _ body: (SQLiteConnection) async throws -> Value
    ) async throws -> Value {
        let connection = try await SQLiteConnection.open(
            storage: .file(path: path), threadPool: threadPool, logger: logger,
            on: MultiThreadedEventLoopGroup.singleton.any())
        do {
            let value = try await body(connection)
            try await connection.close()
            return value
        } catch {
            try? await connection.close()
            throw error
        }
    }
}
