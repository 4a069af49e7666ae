import Herald
import SQLiteNIO

/// Turns SQLite's failures into ``EventLogError``s that name the database file and say what to do.
enum SQLiteStorageFailure {
    /// The error for a failure of `operation` (such as "append") on the database at `path`.
    ///
    /// Errors that already are ``EventLogError``s, ``EventBatchError``s or cancellations pass unchanged.
    static func map(_ error: any Error, path: String, operation: String) -> any Error {
        guard let sqlite = error as? SQLiteError else { return error }
        return EventLogError(.storage, message(sqlite, path: path, operation: operation))
    }

    static func message(_ error: SQLiteError, path: String, operation: String) -> String {
        let detail = "(SQLite: \(error.message))"
        switch error.reason {
        case .full:
            return "\(operation) failed: the database '\(path)' cannot grow, because its disk is full or it reached "
                + "its size limit (max_page_count) \(detail); nothing of this operation was stored and everything "
                + "committed before is intact. Free disk space or raise the limit, then retry."
        case .readOnly, .readonlyInRecovery, .readonlyCantLock, .readonlyInRollback, .readonlyBackingMoved,
            .readonlyDirectory, .permission, .auth:
            return "\(operation) failed: the database '\(path)' is read-only \(detail). Herald needs to write the "
                + "file and create '\(path)-wal' and '\(path)-shm' beside it: make the file and its directory "
                + "writable by this process, or choose another path."
        case .cantOpen, .cantOpenDirectory, .cantOpenInvalidPath, .cantOpenCygwinPath, .cantOpenUnfollowedSymlink:
            return "\(operation) failed: cannot open or create the database '\(path)' \(detail). Check that the "
                + "directory exists, is a directory, and is writable by this process."
        case .corrupt, .corruptIndex, .corruptSequenceSchema, .corruptVirtualTable, .notADatabase, .format:
            return "\(operation) failed: '\(path)' is not a readable SQLite database or is damaged \(detail). "
                + "Restore it from a backup, or move it away to start a new log at this path."
        case .busy, .busyTimeout, .busyInRecovery, .busyInSnapshot, .locked:
            return "\(operation) failed: the database '\(path)' is locked by another connection or process "
                + "\(detail). A Herald SQLite store is meant for one process; stop the other one or use another "
                + "path."
        case .noLFS, .tooBig:
            return "\(operation) failed: the data is too large for the database '\(path)' \(detail). Store large "
                + "payloads elsewhere and publish a reference to them."
        case .ioError, .ioErrorFailedRead, .ioErrorIncompleteRead, .ioErrorFailedWrite, .ioErrorFailedSync,
            .ioErrorFailedDirSync, .ioErrorFailedTruncate, .ioErrorFailedStat, .ioErrorFailedUnlock,
            .ioErrorFailedReadLock, .ioErrorFailedDelete, .ioErrorNoMemory, .ioErrorFailedAccess,
            .ioErrorFailedLockCheck, .ioErrorFailedAdvisoryLock, .ioErrorFailedClose, .ioErrorFailedSharedMemOpen,
            .ioErrorFailedSharedMemSize, .ioErrorFailedSharedMemMap, .ioErrorFailedDeleteNonexistent,
            .ioErrorFailedMemoryMap, .ioErrorCantFindTempdir, .ioErrorCygwinPath, .ioErrorBadDataChecksum,
            .ioErrorCorruptedFilesystem:
            return "\(operation) failed: an I/O error on the database '\(path)' \(detail); nothing of this "
                + "operation was stored. Check the disk and the file system (full, removed, or failing), then retry."
        default:
            return "\(operation) failed on the database '\(path)' (\(error.reason)) \(detail)."
        }
    }
}
