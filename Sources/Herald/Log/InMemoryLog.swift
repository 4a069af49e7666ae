import Foundation

/// One event in the in-memory log, with the time it was stored (for retention by age and for groups
/// that start at a time).
struct InMemoryLogRecord: Sendable, Hashable {
    var stored: StoredEvent
    var storedAt: Date

    var sequence: Int64 { stored.sequence }
}

/// The event log part of ``InMemoryEventStore``'s state: stored and scheduled events, without locking or
/// waiting, so that it can be tested directly.
struct InMemoryLog: Sendable {
    /// Identifies an event for idempotence.
    struct EventKey: Hashable, Sendable {
        var source: String
        var id: String

        init(_ event: Event) {
            source = event.source
            id = event.id
        }
    }

    /// An event waiting for its `deliverat`.
    struct ScheduledEvent: Sendable {
        var event: Event
        var deliverAt: Date
    }

    /// Stored events, in sequence order.
    private(set) var records: [InMemoryLogRecord] = []
    /// The highest sequence ever given; retention does not lower it, so sequences are never reused.
    private(set) var lastSequence: Int64 = 0
    /// Scheduled events, by `deliverAt` and then in the order they were appended.
    private(set) var scheduled: [ScheduledEvent] = []
    private var storedKeys: [EventKey: Int64] = [:]
    private var scheduledKeys: Set<EventKey> = []
    private var streamVersions: [String: Int] = [:]
    /// Per event type, the stored count and newest sequence, kept as events come and go.
    private var typeSummaries: [String: EventTypeSummary] = [:]
    /// Stored-at times never go backwards, even if the wall clock does, so they stay in sequence order.
    private var lastStoredAt = Date.distantPast

    /// When the earliest scheduled event falls due, if any is scheduled.
    var nextDue: Date? { scheduled.first?.deliverAt }

    /// Every stored event type, sorted by type.
    var eventTypes: [EventTypeSummary] {
        typeSummaries.values.sorted { $0.type < $1.type }
    }

    func streamVersion(_ stream: String) -> Int {
        streamVersions[stream, default: 0]
    }

    /// Appends every scheduled event whose time has come, earliest first; returns whether any was.
    @discardableResult
    mutating func promoteDue(now: Date) -> Bool {
        let dueCount = scheduled.prefix { $0.deliverAt <= now }.count
        guard dueCount > 0 else { return false }
        for due in scheduled.prefix(dueCount) {
            scheduledKeys.remove(EventKey(due.event))
            // Stored at its due time rather than when it was noticed, so the result does not depend on
            // when a reader came by.
            store(due.event, at: due.deliverAt)
        }
        scheduled.removeFirst(dueCount)
        return true
    }

    /// Appends a validated batch atomically at `now`; throws before changing anything.
    mutating func append(_ events: [Event], expecting expectation: StreamExpectation?, now: Date) throws(EventLogError)
        -> [AppendResult]
    {
        promoteDue(now: now)
        if let expectation {
            for (index, event) in events.enumerated() where event.subject != expectation.stream {
                throw EventLogError(
                    .invalidArgument,
                    "event at index \(index) has subject \(event.subject.map { "'\($0)'" } ?? "nil"), not the "
                        + "stream '\(expectation.stream)'; every event appended with an expectation must have the "
                        + "stream's name as its subject"
                )
            }
            let actual = streamVersion(expectation.stream)
            guard actual == expectation.version else {
                throw .versionConflict(stream: expectation.stream, expected: expectation.version, actual: actual)
            }
        }
        return events.map { event in
            let key = EventKey(event)
            if let sequence = storedKeys[key] {
                return AppendResult(id: event.id, source: event.source, outcome: .duplicate(sequence: sequence))
            }
            if scheduledKeys.contains(key) {
                return AppendResult(id: event.id, source: event.source, outcome: .duplicateScheduled)
            }
            if let deliverAt = event.deliverAt, deliverAt > now {
                schedule(event, at: deliverAt)
                return AppendResult(id: event.id, source: event.source, outcome: .scheduled)
            }
            let sequence = store(event, at: now)
            return AppendResult(id: event.id, source: event.source, outcome: .stored(sequence: sequence))
        }
    }

    /// The index of the first record with a sequence above `sequence`.
    func firstIndex(after sequence: Int64) -> Int {
        var low = 0
        var high = records.count
        while low < high {
            let middle = (low + high) / 2
            if records[middle].sequence <= sequence { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Up to `limit` records after `sequence` that pass `filter`, and where the next read starts.
    func read(after sequence: Int64, filter: EventFilter, limit: Int) -> EventPage {
        var events: [StoredEvent] = []
        var nextAfter = sequence
        for record in records[firstIndex(after: sequence)...] {
            if events.count == limit { break }
            nextAfter = record.sequence
            if filter.matches(record.stored.event) { events.append(record.stored) }
        }
        return EventPage(events: events, nextAfter: nextAfter)
    }

    /// The sequence after which the first event stored at or after `date` comes.
    func sequenceBefore(storedAt date: Date) -> Int64 {
        guard let first = records.first(where: { $0.storedAt >= date }) else { return lastSequence }
        return first.sequence - 1
    }

    /// Removes the records with these sequences; their (source, id) may be appended again.
    mutating func remove(_ sequences: Set<Int64>) {
        guard !sequences.isEmpty else { return }
        var affectedTypes: Set<String> = []
        records.removeAll { record in
            guard sequences.contains(record.sequence) else { return false }
            let event = record.stored.event
            affectedTypes.insert(event.type)
            storedKeys[EventKey(event)] = nil
            if let subject = event.subject {
                streamVersions[subject, default: 0] -= 1
                if streamVersions[subject] == 0 { streamVersions[subject] = nil }
            }
            return true
        }
        // Retention is rare: recount the types it touched rather than track every type's sequences.
        for type in affectedTypes { typeSummaries[type] = nil }
        for record in records where affectedTypes.contains(record.stored.event.type) {
            let type = record.stored.event.type
            typeSummaries[type, default: EventTypeSummary(type: type, count: 0, lastSequence: 0)].count += 1
            typeSummaries[type]!.lastSequence = record.sequence
        }
    }

    @discardableResult
    private mutating func store(_ event: Event, at date: Date) -> Int64 {
        lastSequence += 1
        lastStoredAt = max(lastStoredAt, date)
        records.append(
            InMemoryLogRecord(stored: StoredEvent(sequence: lastSequence, event: event), storedAt: lastStoredAt))
        storedKeys[EventKey(event)] = lastSequence
        if let subject = event.subject { streamVersions[subject, default: 0] += 1 }
        typeSummaries[event.type, default: EventTypeSummary(type: event.type, count: 0, lastSequence: 0)].count += 1
        typeSummaries[event.type]!.lastSequence = lastSequence
        return lastSequence
    }

    private mutating func schedule(_ event: Event, at deliverAt: Date) {
        let position = scheduled.firstIndex { $0.deliverAt > deliverAt } ?? scheduled.endIndex
        scheduled.insert(ScheduledEvent(event: event, deliverAt: deliverAt), at: position)
        scheduledKeys.insert(EventKey(event))
    }
}
