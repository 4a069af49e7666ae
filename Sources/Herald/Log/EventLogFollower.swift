import DequeModule

/// Follows an ``EventLog``: yields the stored events after a sequence, then new ones as they come.
///
/// Reads a page at a time and waits with ``EventLog/waitForEvents(after:timeout:)`` when it has caught
/// up. Iteration ends only by cancellation (throwing `CancellationError`) or a storage error.
public struct EventLogFollower: AsyncSequence, Sendable {
    public typealias Element = StoredEvent
    public typealias Failure = any Error

    let log: any EventLog
    let after: Int64
    let filter: EventFilter
    /// How many events one read fetches.
    static let pageSize = 512
    /// How long one wait lasts before the follower checks again; a safety net, since appends wake it.
    static let idleCheck = Duration.seconds(30)

    init(log: any EventLog, after: Int64, filter: EventFilter) {
        self.log = log
        self.after = after
        self.filter = filter
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(log: log, cursor: after, filter: filter)
    }

    /// Reads pages from the log and hands out their events one by one.
    public struct Iterator: AsyncIteratorProtocol {
        let log: any EventLog
        /// The sequence after which the next read starts.
        var cursor: Int64
        let filter: EventFilter
        var buffered = Deque<StoredEvent>()

        public mutating func next() async throws -> StoredEvent? {
            while buffered.isEmpty {
                try Task.checkCancellation()
                let page = try await log.read(after: cursor, filter: filter, limit: EventLogFollower.pageSize)
                buffered.append(contentsOf: page.events)
                if page.nextAfter > cursor {
                    cursor = page.nextAfter
                    continue
                }
                _ = try await log.waitForEvents(after: cursor, timeout: EventLogFollower.idleCheck)
            }
            return buffered.popFirst()
        }
    }
}
