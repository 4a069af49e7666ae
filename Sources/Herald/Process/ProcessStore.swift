import Foundation

/// Storage for the state of process managers (sagas): one versioned record per process and correlation key,
/// saved together with the events a step publishes.
///
/// Semantics every implementation keeps, checked by `HeraldTesting`'s ``ProcessStoreConformance``:
/// - **Optimistic concurrency.** ``saveProcess(_:expectedVersion:publishing:)`` saves only if the instance is at
///   `expectedVersion` (0 for one not saved yet); otherwise it throws
///   ``EventLogError/Code/versionConflict`` and changes nothing. Of several nodes saving the same version, one
///   wins.
/// - **Atomic outbox.** The events of a save are appended to the store's log in the same transaction as the
///   record, with ``EventLog/append(_:expecting:)``'s semantics (idempotent by `source` and `id`, scheduled when
///   `deliverat` is later): both are stored, or neither.
/// - **Durability.** A save that returned survives a restart of a durable backend.
public protocol ProcessStore: Sendable {
    /// The record of `process`'s instance `key`, or `nil` when none was saved.
    func processRecord(_ process: String, key: String) async throws -> ProcessRecord?

    /// Saves `document` as the next version of `process`'s instance `key`, and appends `events` to the log,
    /// atomically.
    ///
    /// - Parameters:
    ///   - expectedVersion: the version the instance must be at: 0 when it has never been saved.
    ///   - isFinished: marks the instance finished.
    /// - Returns: the saved record, whose version is `expectedVersion + 1`.
    /// - Throws: ``EventLogError`` with ``EventLogError/Code/versionConflict`` when the instance is at another
    ///   version, ``EventLogError/Code/invalidArgument`` for an empty process name or key, or an invalid event
    ///   (wrapped in ``EventBatchError``); nothing is saved or appended then.
    @discardableResult
    func saveProcess(
        _ process: String, key: String, document: Data, isFinished: Bool, expectedVersion: Int64,
        publishing events: [Event]
    ) async throws -> ProcessRecord

    /// Up to `limit` records of `process` whose keys sort after `key`, in key order: pages through every
    /// instance of a manager.
    func processRecords(_ process: String, after key: String?, limit: Int) async throws -> [ProcessRecord]
}

/// Checks shared by every ``ProcessStore`` implementation.
package enum ProcessStoreValidation {
    /// The most records one ``ProcessStore/processRecords(_:after:limit:)`` call returns.
    package static let maximumListLimit = 10_000

    /// Refuses an empty or overlong process name or key, and a negative expected version.
    package static func check(process: String, key: String, expectedVersion: Int64 = 0) throws(EventLogError) {
        guard !process.isEmpty, process.utf8.count <= 200 else {
            throw EventLogError(
                .invalidArgument, "a process name must be 1 to 200 bytes, got \(process.utf8.count): name it")
        }
        guard !key.isEmpty, key.utf8.count <= 1_000 else {
            throw EventLogError(
                .invalidArgument,
                "the correlation key of process '\(process)' must be 1 to 1000 bytes, got \(key.utf8.count)")
        }
        guard expectedVersion >= 0 else {
            throw EventLogError(.invalidArgument, "an expected version cannot be negative, got \(expectedVersion)")
        }
    }

    /// Refuses what ``check(process:key:expectedVersion:)`` refuses, and a save's events that do not make a
    /// valid batch (see ``AppendBatch/validate(_:expecting:)``).
    package static func checkSave(process: String, key: String, expectedVersion: Int64, events: [Event]) throws {
        try check(process: process, key: key, expectedVersion: expectedVersion)
        try AppendBatch.validate(events, expecting: nil)
    }

    /// Refuses a list limit outside 1 to ``maximumListLimit``.
    package static func check(limit: Int) throws(EventLogError) {
        guard (1...maximumListLimit).contains(limit) else {
            throw EventLogError(
                .invalidArgument, "a process list limit must be between 1 and \(maximumListLimit), got \(limit)")
        }
    }

    /// The conflict error for `process`'s instance `key`.
    package static func conflict(process: String, key: String, expected: Int64, actual: Int64) -> EventLogError {
        EventLogError(
            .versionConflict,
            "process '\(process)' instance '\(key)' is at version \(actual), not \(expected): another step saved it "
                + "first; load it again and retry")
    }
}
