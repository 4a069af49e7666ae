import Foundation
import Herald
import SQLiteNIO

/// Process manager state: a row per instance in the `processes` table. A save checks the version, writes the row
/// and appends the step's events in one transaction (with concurrent saves, in one savepoint of a shared
/// transaction), so both commit or neither does.
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
    ///
    /// Saves made concurrently (the steps of one poll, for different instances) are committed in one
    /// transaction, each in a savepoint of its own, so that one save's version conflict does not fail the
    /// others and they share one sync to the disk.
    @discardableResult
    public func saveProcess(
        _ process: String, key: String, document: Data, isFinished: Bool, expectedVersion: Int64,
        publishing events: [Event]
    ) async throws -> ProcessRecord {
        try ProcessStoreValidation.checkSave(
            process: process, key: key, expectedVersion: expectedVersion, events: events)
        if OutboxScope.store == ObjectIdentifier(self) {
            throw EventLogError.insideOwnTransaction("saveProcess was called", instead: "save after it commits")
        }
        return try await operation("saveProcess") {
            try await processSaveQueue.submit(
                {
                    ProcessSaveRequest(
                        process: process, key: key, document: document, isFinished: isFinished,
                        expectedVersion: expectedVersion, events: events, continuation: $0)
                }, flush: { await self.flushProcessSaves() })
        }
    }

    /// Commits queued saves until the queue is empty, each batch in one transaction, each save in a savepoint
    /// (see ``GroupCommitQueue/drain(mapError:retriesAlone:commit:)``).
    func flushProcessSaves() async {
        await processSaveQueue.drain(mapError: { SQLiteStorageFailure.map($0, path: path, operation: "saveProcess") }) {
            requests in
            try await writeTransaction { context in
                var outcomes: [Result<ProcessRecord, any Error>] = []
                for request in requests {
                    try await context.query("SAVEPOINT herald_process")
                    do {
                        outcomes.append(.success(try await save(request, in: context)))
                        try await context.query("RELEASE herald_process")
                    } catch let error as EventLogError {
                        try await context.query("ROLLBACK TO herald_process")
                        try await context.query("RELEASE herald_process")
                        outcomes.append(.failure(error))
                    }
                }
                return outcomes
            }
        }
    }

    /// Checks the version, appends the events and writes the row of one save, inside the caller's transaction.
    private func save(_ request: ProcessSaveRequest, in context: WriteContext) async throws -> ProcessRecord {
        let current = try await context.query(
            "SELECT version FROM processes WHERE process = ? AND key = ?", [.text(request.process), .text(request.key)]
        ).first?.column("version")?.integer
        guard Int64(current ?? 0) == request.expectedVersion else {
            throw ProcessStoreValidation.conflict(
                process: request.process, key: request.key, expected: request.expectedVersion,
                actual: Int64(current ?? 0))
        }
        if !request.events.isEmpty {
            _ = try await context.append([AppendBatch(events: request.events, expectation: nil)])[0].get()
        }
        let record = ProcessRecord(
            process: request.process, key: request.key, version: request.expectedVersion + 1,
            document: request.document, isFinished: request.isFinished, updatedAt: context.now)
        try await context.query(
            """
            INSERT INTO processes (process, key, version, document, finished, updated_at)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6)
            ON CONFLICT (process, key) DO UPDATE SET version = excluded.version,
                document = excluded.document, finished = excluded.finished, updated_at = excluded.updated_at
            """,
            [
                .text(request.process), .text(request.key), record.version.stored,
                request.document.sqliteData ?? .null, .integer(request.isFinished ? 1 : 0), record.updatedAt.stored,
            ])
        return record
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
