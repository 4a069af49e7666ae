import Herald

extension SQLiteEventStore {
    /// How the store uses its SQLite file: durability, connections, waiting for locks, size limit.
    public struct Configuration: Sendable, Hashable {
        /// When a commit reaches the disk; ``Synchronous/full`` unless set.
        public var synchronous: Synchronous
        /// Connections that serve reads beside the one write connection; 1-16.
        public var readerConnections: Int
        /// How long a statement waits for a lock held by another connection before it fails.
        public var busyTimeout: Duration
        /// Caps the database at this many pages (SQLite's `max_page_count`; a page is 4096 bytes unless the
        /// file says otherwise). Writes that would grow it further fail as if the disk were full. `nil`
        /// leaves SQLite's limit.
        public var maximumPageCount: Int?

        /// Creates a configuration: durable commits, two reader connections, a 5-second busy timeout.
        public init(
            synchronous: Synchronous = .full,
            readerConnections: Int = 2,
            busyTimeout: Duration = .seconds(5),
            maximumPageCount: Int? = nil
        ) {
            self.synchronous = synchronous
            self.readerConnections = readerConnections
            self.busyTimeout = busyTimeout
            self.maximumPageCount = maximumPageCount
        }

        func validate() throws(EventLogError) {
            guard (1...16).contains(readerConnections) else {
                throw EventLogError(
                    .invalidArgument,
                    "readerConnections must be between 1 and 16, got \(readerConnections)"
                )
            }
            guard busyTimeout >= .zero, busyTimeout <= .seconds(3_600) else {
                throw EventLogError(.invalidArgument, "busyTimeout must be between 0 and 1 hour, got \(busyTimeout)")
            }
            if let maximumPageCount, maximumPageCount < 1 {
                throw EventLogError(.invalidArgument, "maximumPageCount must be positive, got \(maximumPageCount)")
            }
        }

        var busyTimeoutMilliseconds: Int64 {
            let (seconds, attoseconds) = busyTimeout.components
            return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
        }
    }

    /// SQLite's `synchronous` setting in WAL mode: when a committed transaction is on the disk.
    public struct Synchronous: Sendable, Hashable, CustomStringConvertible {
        let pragma: String

        /// The write-ahead log is synced to the disk on every commit: when `append` returns, its events
        /// survive a crash of the process and a power loss. The default.
        public static let full = Synchronous(pragma: "FULL")
        /// The write-ahead log is synced only at checkpoints: commits are faster, and survive a crash of
        /// the process, but the last transactions before a power loss or an operating system crash may be
        /// rolled back (the database stays consistent). This weakens ``EventLog``'s durability promise.
        public static let normal = Synchronous(pragma: "NORMAL")

        public var description: String { pragma.lowercased() }
    }
}
