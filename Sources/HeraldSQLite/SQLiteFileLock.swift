import Foundation
import Herald
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What makes a store the only user of its file: an exclusive `flock` on `<path>.lock` beside it, which the
/// kernel releases when the process ends, however it ends. The store keeps state about the file in memory
/// (the log's high-water mark, consumer groups' leases), so a second store on the same file, in this process
/// or another, would hand out the same events twice.
final class SQLiteFileLock: Sendable {
    private let descriptor: Mutex<Int32?>

    private init(descriptor: Int32) {
        self.descriptor = Mutex(descriptor)
    }

    /// Takes the lock of the database at `path`; `nil` for a `file:` URI or `:memory:`, and when the lock
    /// file cannot be created (a read-only directory, which SQLite then reports in its own words).
    ///
    /// - Throws: ``EventLogError/Code/storage`` when another store holds the file.
    static func acquire(for path: String) throws -> SQLiteFileLock? {
        guard !path.isEmpty, !path.hasPrefix("file:"), path != ":memory:" else { return nil }
        let lockPath = path + ".lock"
        let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return nil }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw EventLogError(
                .storage,
                "the database '\(path)' is open in another Herald store, in this process or another (it holds "
                    + "'\(lockPath)'); a Herald SQLite store is meant for one process at a time: stop the other "
                    + "one or close its store, or use another path"
            )
        }
        return SQLiteFileLock(descriptor: descriptor)
    }

    /// Releases the lock; releasing it again does nothing.
    func release() {
        let taken = descriptor.withLock { descriptor -> Int32? in
            defer { descriptor = nil }
            return descriptor
        }
        guard let taken else { return }
        flock(taken, LOCK_UN)
        close(taken)
    }
}
