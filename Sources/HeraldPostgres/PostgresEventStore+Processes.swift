import Foundation
import Herald
import PostgresNIO

/// Process manager state across nodes: a row per instance in the `processes` table. A save is one transaction
/// whose conditional insert or update (at the expected version) decides between racing nodes, followed by the
/// step's events, so both commit or neither does.
extension PostgresEventStore: ProcessStore {
    /// The record of `process`'s instance `key`; see ``ProcessStore/processRecord(_:key:)``.
    public func processRecord(_ process: String, key: String) async throws -> ProcessRecord? {
        try ProcessStoreValidation.check(process: process, key: key)
        return try await operation("processRecord") {
            let t = tables
            return try await withConnection("processRecord") { connection in
                let rows = try await connection.query(
                    """
                    SELECT \(unescaped: Self.processColumns) FROM \(unescaped: t.processes)
                    WHERE process = \(process) AND key = \(key)
                    """,
                    logger: self.logger)
                for try await row in rows.decode(ProcessRow.self) { return Self.record(row) }
                return nil
            }
        }
    }

    /// Saves the next version of an instance with its events; see
    /// ``ProcessStore/saveProcess(_:key:document:isFinished:expectedVersion:publishing:)``.
    @discardableResult
    public func saveProcess(
        _ process: String, key: String, document: Data, isFinished: Bool, expectedVersion: Int64,
        publishing events: [Event]
    ) async throws -> ProcessRecord {
        try ProcessStoreValidation.checkSave(
            process: process, key: key, expectedVersion: expectedVersion, events: events)
        let t = tables
        let now = clock.now
        let version = expectedVersion + 1
        let bytes = ByteBuffer(bytes: document)
        let seconds = now.timeIntervalSinceReferenceDate
        return try await transaction { tx in
            let saved: [PostgresRow]
            if expectedVersion == 0 {
                saved = try await tx.query(
                    """
                    INSERT INTO \(unescaped: t.processes) (process, key, version, document, finished, updated_at)
                    VALUES (\(process), \(key), 1, \(bytes), \(isFinished), \(seconds))
                    ON CONFLICT (process, key) DO NOTHING RETURNING version
                    """)
            } else {
                saved = try await tx.query(
                    """
                    UPDATE \(unescaped: t.processes) SET version = \(version), document = \(bytes),
                        finished = \(isFinished), updated_at = \(seconds)
                    WHERE process = \(process) AND key = \(key) AND version = \(expectedVersion)
                    RETURNING version
                    """)
            }
            guard !saved.isEmpty else {
                var actual: Int64 = 0
                for try await row in try await tx.connection.query(
                    "SELECT version FROM \(unescaped: t.processes) WHERE process = \(process) AND key = \(key)",
                    logger: self.logger
                ).decode(Int64.self) {
                    actual = row
                }
                throw ProcessStoreValidation.conflict(
                    process: process, key: key, expected: expectedVersion, actual: actual)
            }
            if !events.isEmpty { try await tx.publish(events) }
            return ProcessRecord(
                process: process, key: key, version: version, document: document, isFinished: isFinished,
                updatedAt: now)
        }
    }

    /// Records of `process` after `key`, in key order; see ``ProcessStore/processRecords(_:after:limit:)``.
    public func processRecords(_ process: String, after key: String?, limit: Int) async throws -> [ProcessRecord] {
        try ProcessStoreValidation.check(limit: limit)
        return try await operation("processRecords") {
            let t = tables
            return try await withConnection("processRecords") { connection in
                let rows = try await connection.query(
                    """
                    SELECT \(unescaped: Self.processColumns) FROM \(unescaped: t.processes)
                    WHERE process = \(process) AND key > \(key ?? "") ORDER BY key LIMIT \(limit)
                    """,
                    logger: self.logger)
                var records: [ProcessRecord] = []
                for try await row in rows.decode(ProcessRow.self) { records.append(Self.record(row)) }
                return records
            }
        }
    }

    private typealias ProcessRow = (String, String, Int64, ByteBuffer, Bool, Double)

    private static let processColumns = "process, key, version, document, finished, updated_at"

    private static func record(_ row: ProcessRow) -> ProcessRecord {
        ProcessRecord(
            process: row.0, key: row.1, version: row.2, document: Data(row.3.readableBytesView), isFinished: row.4,
            updatedAt: Date(timeIntervalSinceReferenceDate: row.5))
    }
}
