/// A durable, ordered log of events: the storage protocol every backend (in-memory, SQLite, PostgreSQL)
/// implements, and that ``HeraldTesting``'s conformance suite checks.
///
/// Semantics every implementation keeps:
/// - **Sequences.** Each stored event gets a global sequence number, starting at 1, strictly increasing
///   in commit order: once a reader has seen sequence `n`, no event with a sequence below `n` appears
///   later. Sequences may have gaps (retention, rolled-back transactions).
/// - **Atomic batches.** ``append(_:expecting:)`` stores all of a batch or none of it.
/// - **Idempotence.** An event whose (`source`, `id`) is already stored, or already scheduled, is not
///   stored again; its result says so, with the original's sequence when it has one.
/// - **Delayed delivery.** An event whose `deliverat` extension is later than now is stored at once as
///   scheduled, and is appended to the log (receiving its sequence) when that time comes, so readers
///   and followers never see it before then and never skip it.
/// - **Durability.** When `append` returns, what it reports stored or scheduled survives a crash.
public protocol EventLog: Sendable {
    /// Appends events atomically, in order, returning one result per event.
    ///
    /// - Parameter expectation: when given, the batch is appended only if the stream is at the expected
    ///   version, and every event must have the stream's name as its `subject`.
    /// - Throws: ``EventLogError`` with ``EventLogError/Code/versionConflict`` naming both versions
    ///   (nothing stored), ``EventLogError/Code/invalidArgument`` for an event outside the stream, or
    ///   ``EventLogError/Code/storage``; ``EventValidationError`` wrapped in ``EventBatchError`` for an
    ///   invalid event (nothing stored).
    func append(_ events: [Event], expecting expectation: StreamExpectation?) async throws -> [AppendResult]

    /// Reads up to `limit` events with a sequence above `sequence` that pass `filter`, in sequence order.
    func read(after sequence: Int64, filter: EventFilter, limit: Int) async throws -> EventPage

    /// The highest sequence stored so far, or 0 for an empty log.
    func lastSequence() async throws -> Int64

    /// How many events the stream (events with this `subject`) holds.
    func streamVersion(_ stream: String) async throws -> Int

    /// Waits until the log may hold an event with a sequence above `sequence`, or `timeout` passes.
    ///
    /// Returns at once when such an event is stored already. Returns `true` when new events may be
    /// there, `false` on timeout. Throws `CancellationError` if the task is cancelled. Implementations
    /// wake waiters on every append and when a scheduled event becomes due, without polling in a tight
    /// loop.
    func waitForEvents(after sequence: Int64, timeout: Duration) async throws -> Bool

    /// Removes events that every policy whose topic matches them allows to go; returns how many.
    ///
    /// Unless a policy sets ``RetentionPolicy/removesUnacknowledged``, events a consumer group has not
    /// acknowledged yet stay.
    func applyRetention(_ policies: [RetentionPolicy]) async throws -> Int

    /// Every event type stored, sorted by type, with its count and newest sequence.
    ///
    /// Backends answer from an index or running totals, without reading the events themselves; the
    /// default implementation reads the whole log page by page and suits small logs and test doubles only.
    func eventTypes() async throws -> [EventTypeSummary]
}

extension EventLog {
    /// Appends one event; see ``append(_:expecting:)``.
    public func append(_ event: Event) async throws -> AppendResult {
        try await append([event], expecting: nil)[0]
    }

    /// Appends events without a stream expectation; see ``append(_:expecting:)``.
    public func append(_ events: [Event]) async throws -> [AppendResult] {
        try await append(events, expecting: nil)
    }

    /// The stored events with a sequence above `sequence` that pass `filter`, then every new one as it
    /// is appended, without polling in a tight loop. It never skips or repeats an event.
    public func follow(after sequence: Int64 = 0, filter: EventFilter = .all) -> EventLogFollower {
        EventLogFollower(log: self, after: sequence, filter: filter)
    }

    /// Counts the types by reading every stored event, 1,000 at a time; see ``eventTypes()``.
    public func eventTypes() async throws -> [EventTypeSummary] {
        var summaries: [String: EventTypeSummary] = [:]
        var after: Int64 = 0
        while true {
            let page = try await read(after: after, filter: .all, limit: 1_000)
            for stored in page.events {
                let type = stored.event.type
                summaries[type, default: EventTypeSummary(type: type, count: 0, lastSequence: 0)].count += 1
                summaries[type]!.lastSequence = max(summaries[type]!.lastSequence, stored.sequence)
            }
            guard page.nextAfter > after else { break }
            after = page.nextAfter
        }
        return summaries.values.sorted { $0.type < $1.type }
    }
}
