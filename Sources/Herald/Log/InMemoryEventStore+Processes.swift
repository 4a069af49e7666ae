import Foundation

/// Process manager state in memory, saved under the store's lock together with the events it publishes.
extension InMemoryEventStore: ProcessStore {
    public func processRecord(_ process: String, key: String) async throws -> ProcessRecord? {
        try ProcessStoreValidation.check(process: process, key: key)
        return try withProcesses { processes, _, _ in processes[process]?[key] }
    }

    @discardableResult
    public func saveProcess(
        _ process: String, key: String, document: Data, isFinished: Bool, expectedVersion: Int64,
        publishing events: [Event]
    ) async throws -> ProcessRecord {
        try ProcessStoreValidation.checkSave(
            process: process, key: key, expectedVersion: expectedVersion, events: events)
        return try withProcesses { processes, log, now in
            let current = processes[process]?[key]?.version ?? 0
            guard current == expectedVersion else {
                throw ProcessStoreValidation.conflict(
                    process: process, key: key, expected: expectedVersion, actual: current)
            }
            // The append throws before anything changes, so the record is saved only with its events.
            _ = try log.append(events, expecting: nil, now: now)
            let record = ProcessRecord(
                process: process, key: key, version: expectedVersion + 1, document: document,
                isFinished: isFinished, updatedAt: now)
            processes[process, default: [:]][key] = record
            return record
        }
    }

    public func processRecords(_ process: String, after key: String?, limit: Int) async throws -> [ProcessRecord] {
        try ProcessStoreValidation.check(limit: limit)
        return try withProcesses { processes, _, _ in
            let records = processes[process] ?? [:]
            // Keys in byte order, as the SQL backends sort them.
            let keys = records.keys
                .filter { candidate in key.map { $0.utf8.lexicographicallyPrecedes(candidate.utf8) } ?? true }
                .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            return keys.prefix(limit).compactMap { records[$0] }
        }
    }
}
