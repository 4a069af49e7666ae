import Foundation
import Herald
import SQLiteNIO

/// Process manager state: a row per instance in the `processes` table. A save is one write transaction that
/// checks the version, writes the row and appends the step's events, so both commit or neither does.
extension SQLiteEventStore: ProcessStore {
    /// The record of `process`'s instance `key`; see ``ProcessStore/processRecord(_:key:)``.
    public func processRecord(_ process: String, key: String) async throws -> ProcessRecord? {
        try ProcessStoreValidation.check(process: process, key: key)
        return try await operation("processRecord") {
            try await reader().query(
                "SELECT \(Self.processColumns) FROM processes WHERE process = ? AND key = ?",
                [.text(process), .text(key)]
            ).first.map { try decodeProcess($0) }
        }
    }

    /// Saves the next version of an instance with its events; see
    /// ``ProcessStore/saveProcess(_:key:document:isFinished:expectedVersion:publishing:)``.
    @discardableResult
    public func saveProcess(
        _ process: String, key: String, document: Data, isFinished: Bool, expectedVersion: Int64,
        publishing events: [Event]
    ) async throws -> ProcessRecord {
        try ProcessStoreValidation.check(process: process, key: key, expectedVersion: expectedVersion)
        try AppendBatch.validate(events, expecting: nil)
        return try await operation("saveProcess") {
            try await writeTransaction { context in
                let current = try await context.query(
                    "SELECT version FROM processes WHERE process = ? AND key = ?", [.text(process), .text(key)]
                ).first?.column("version")?.integer
                guard Int64(current ?? 0) == expectedVersion else {
                    throw ProcessStoreValidation.conflict(
                        process: process, key: key, expected: expectedVersion, actual: Int64(current ?? 0))
                }
                if !events.isEmpty {
                    _ = try await context.append([AppendBatch(events: events, expectation: nil)])[0].get()
                }
                let record = ProcessRecord(
                    process: process, key: key, version: expectedVersion + 1, document: document,
                    isFinished: isFinished, updatedAt: context.now)
                try await context.query(
                    """
                    INSERT INTO processes (process, key, version, document, finished, updated_at)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                    ON CONFLICT (process, key) DO UPDATE SET version = excluded.version,
                        document = excluded.document, finished = excluded.finished, updated_at = excluded.updated_at
                    """,
                    [
                        .text(process), .text(key), record.version.stored, document.sqliteData ?? .null,
                        .integer(isFinished ? 1 : 0), record.updatedAt.stored,
                    ])
                return record
            }
        }
    }

    /// Records of `process` after `key`, in key order; see ``ProcessStore/processRecords(_:after:limit:)``.
    public func processRecords(_ process: String, after key: String?, limit: Int) async throws -> [ProcessRecord] {
        try ProcessStoreValidation.check(limit: limit)
        return try await operation("processRecords") {
            try await reader().query(
                """
                SELECT \(Self.processColumns) FROM processes WHERE process = ? AND key > ? ORDER BY key LIMIT ?
                """,
                [.text(process), .text(key ?? ""), .integer(limit)]
            ).map { try decodeProcess($0) }
        }
    }

    private static let processColumns = "process, key, version, document, finished, updated_at"

    private func decodeProcess(_ row: SQLiteRow) throws -> ProcessRecord {
        guard let process = row.column("process")?.string, let key = row.column("key")?.string,
            let version = row.column("version")?.integer,
            let document = row.column("document").flatMap(Data.init(sqliteData:)),
            let updatedAt = Date(stored: row.column("updated_at"))
        else {
            throw EventLogError(
                .storage, "a row of the processes table in '\(path)' is damaged; restore the database from a backup")
        }
        return ProcessRecord(
            process: process, key: key, version: Int64(version), document: document,
            isFinished: row.column("finished")?.integer == 1, updatedAt: updatedAt)
    }
}
