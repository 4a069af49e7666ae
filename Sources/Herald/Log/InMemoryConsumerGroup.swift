import Foundation

/// One consumer group's state in ``InMemoryEventStore``: a cursor over the log and the events it has
/// passed but that are not acknowledged yet. A pure state machine: every change takes the current time
/// and the log as arguments, so it can be tested without waiting.
struct InMemoryConsumerGroup: Sendable {
    /// An event the group has passed and not yet acknowledged.
    struct Pending: Sendable {
        enum Status: Sendable {
            /// Deliverable from this time on.
            case available(at: Date)
            /// Leased to a consumer until this time, under this delivery id.
            case leased(until: Date, deliveryID: String)
        }

        var stored: StoredEvent
        var attempts: Int
        var lastError: String?
        var status: Status
    }

    let configuration: ConsumerGroupConfiguration
    /// Events at or below this sequence are not the group's.
    private(set) var startAfter: Int64
    /// Events stored before this time are not the group's (a group that starts, or was moved to, a time).
    private(set) var notBefore: Date?
    /// The highest sequence the group has scanned.
    private(set) var cursor: Int64
    private(set) var pending: [Int64: Pending] = [:]
    private(set) var deadLetters: [Int64: DeadLetteredEvent] = [:]
    /// The current delivery id of each leased event.
    private var leases: [String: Int64] = [:]

    /// Creates the state of a new group over `log` as it is now.
    init(configuration: ConsumerGroupConfiguration, log: InMemoryLog) {
        self.configuration = configuration
        (startAfter, notBefore) = Self.start(at: configuration.start, in: log)
        cursor = startAfter
    }

    /// Where a group starting at `position` over `log` as it is now begins: the sequence it reads after,
    /// and for a time, the earliest storage time of its events.
    private static func start(at position: ConsumerGroupConfiguration.StartPosition, in log: InMemoryLog)
        -> (after: Int64, notBefore: Date?)
    {
        switch position {
        case .earliest: (0, nil)
        case .latest: (log.lastSequence, nil)
        case .after(let sequence): (max(0, sequence), nil)
        case .time(let date): (log.sequenceBefore(storedAt: date), date)
        }
    }

    /// Moves the group to `position` over `log` as it is now and ends its leases and waiting redeliveries;
    /// dead letters stay. Returns the sequence the group now reads after.
    mutating func seek(to position: ConsumerGroupConfiguration.StartPosition, in log: InMemoryLog) -> Int64 {
        (startAfter, notBefore) = Self.start(at: position, in: log)
        cursor = startAfter
        pending = [:]
        leases = [:]
        return cursor
    }

    /// Whether a stored event is one the group receives, wherever its cursor is.
    func wants(_ record: InMemoryLogRecord) -> Bool {
        guard record.sequence > startAfter, configuration.topic.matches(record.stored.event.type) else { return false }
        if let notBefore { return record.storedAt >= notBefore }
        return true
    }

    /// Whether the group still has to see the event through: not scanned yet, pending or dead-lettered.
    func holdsUnacknowledged(_ record: InMemoryLogRecord) -> Bool {
        if pending[record.sequence] != nil || deadLetters[record.sequence] != nil { return true }
        return record.sequence > cursor && wants(record)
    }

    /// Events not acknowledged yet: pending ones and the group's events beyond the cursor.
    func lag(in log: InMemoryLog) -> Int {
        pending.count
            + log.records[log.firstIndex(after: cursor)...].count { wants($0) && deadLetters[$0.sequence] == nil }
    }

    /// Deliveries leased and not expired at `now`.
    func inFlight(now: Date) -> Int {
        pending.values.count { pending in
            if case .leased(let until, _) = pending.status { until > now } else { false }
        }
    }

    /// The earliest future time at which a lease runs out or a redelivery becomes due, if any.
    func nextWake(now: Date) -> Date? {
        pending.values.compactMap { pending -> Date? in
            switch pending.status {
            case .available(let at): at > now ? at : nil
            case .leased(let until, _): until
            }
        }
        .min()
    }

    /// Counts every lease that ran out by `now` as a failed attempt: redeliverable at once, or dead-lettered
    /// after the last attempt.
    mutating func expireLeases(now: Date) {
        for (sequence, entry) in pending {
            guard case .leased(let until, let deliveryID) = entry.status, until <= now else { continue }
            leases[deliveryID] = nil
            let error = "lease expired after \(configuration.ackTimeout)"
            fail(sequence, error: error, availableAt: until)
        }
    }

    /// Leases up to `max` deliveries at `now`: due redeliveries first, then new events from the cursor, all
    /// in sequence order; in ordered mode an event waits while an earlier one of its key is unacknowledged.
    mutating func poll(max: Int, now: Date, log: InMemoryLog, makeDeliveryID: (Int64, Int) -> String) -> [Delivery] {
        expireLeases(now: now)
        var deliveries: [Delivery] = []
        // Keys with an earlier unacknowledged event: in ordered mode, later events of these keys wait.
        var heldKeys: Set<String> = []
        for sequence in pending.keys.sorted() {
            guard deliveries.count < max else { break }
            let entry = pending[sequence]!
            let key = configuration.ordered ? entry.stored.event.partitionKey : nil
            defer { if let key { heldKeys.insert(key) } }
            guard case .available(let at) = entry.status, at <= now else { continue }
            if let key, heldKeys.contains(key) { continue }
            deliveries.append(lease(sequence, now: now, makeDeliveryID: makeDeliveryID))
        }
        for record in log.records[log.firstIndex(after: cursor)...] {
            guard deliveries.count < max else { break }
            cursor = record.sequence
            // A dead letter met again after a seek stays a dead letter until requeued.
            guard wants(record), deadLetters[record.sequence] == nil else { continue }
            pending[record.sequence] = Pending(
                stored: record.stored,
                attempts: 0,
                lastError: nil,
                status: .available(at: now)
            )
            let key = configuration.ordered ? record.stored.event.partitionKey : nil
            if let key, heldKeys.contains(key) { continue }
            if let key { heldKeys.insert(key) }
            deliveries.append(lease(record.sequence, now: now, makeDeliveryID: makeDeliveryID))
        }
        return deliveries
    }

    /// Removes the current deliveries among `deliveryIDs` for good; returns how many were current.
    mutating func ack(_ deliveryIDs: [String], now: Date) -> Int {
        ackReturningIDs(deliveryIDs, now: now).count
    }

    /// Removes the current deliveries among `deliveryIDs` for good; returns the ids that were current.
    mutating func ackReturningIDs(_ deliveryIDs: [String], now: Date) -> Set<String> {
        expireLeases(now: now)
        var acknowledged: Set<String> = []
        for deliveryID in deliveryIDs {
            guard let sequence = leases.removeValue(forKey: deliveryID) else { continue }
            pending[sequence] = nil
            acknowledged.insert(deliveryID)
        }
        return acknowledged
    }

    /// Redelivers the current deliveries among `deliveryIDs` after `delay`, or dead-letters those on their
    /// last attempt; returns how many were current.
    mutating func nack(_ deliveryIDs: [String], delay: Duration, error: String?, now: Date) -> Int {
        nackReturningIDs(deliveryIDs, delay: delay, error: error, now: now).count
    }

    /// Redelivers the current deliveries among `deliveryIDs` after `delay`, or dead-letters those on their
    /// last attempt; returns the ids that were current.
    mutating func nackReturningIDs(_ deliveryIDs: [String], delay: Duration, error: String?, now: Date)
        -> Set<String>
    {
        expireLeases(now: now)
        var failed: Set<String> = []
        for deliveryID in deliveryIDs {
            guard let sequence = leases.removeValue(forKey: deliveryID) else { continue }
            fail(sequence, error: error, availableAt: now.addingTimeInterval(delay.timeInterval))
            failed.insert(deliveryID)
        }
        return failed
    }

    /// Dead letters, oldest sequence first, at most `limit`.
    func deadLetters(limit: Int) -> [DeadLetteredEvent] {
        deadLetters.keys.sorted().prefix(limit).map { deadLetters[$0]! }
    }

    /// Makes the dead letters with these sequences (all when `nil`) deliverable at `now` with fresh
    /// attempts; returns how many.
    mutating func requeueDeadLetters(_ sequences: [Int64]?, now: Date) -> Int {
        let chosen = sequences.map { Set($0).filter { deadLetters[$0] != nil } } ?? Set(deadLetters.keys)
        for sequence in chosen {
            let letter = deadLetters.removeValue(forKey: sequence)!
            pending[sequence] = Pending(stored: letter.stored, attempts: 0, lastError: nil, status: .available(at: now))
        }
        return chosen.count
    }

    /// Forgets events retention removed from the log.
    mutating func forget(_ sequences: Set<Int64>) {
        for sequence in sequences {
            if case .leased(_, let deliveryID) = pending[sequence]?.status { leases[deliveryID] = nil }
            pending[sequence] = nil
            deadLetters[sequence] = nil
        }
    }

    private mutating func lease(_ sequence: Int64, now: Date, makeDeliveryID: (Int64, Int) -> String) -> Delivery {
        var entry = pending[sequence]!
        entry.attempts += 1
        let deliveryID = makeDeliveryID(sequence, entry.attempts)
        entry.status = .leased(
            until: now.addingTimeInterval(configuration.ackTimeout.timeInterval), deliveryID: deliveryID)
        pending[sequence] = entry
        leases[deliveryID] = sequence
        return Delivery(id: deliveryID, attempt: entry.attempts, stored: entry.stored)
    }

    /// Records a failed attempt of a pending event whose lease is already released.
    private mutating func fail(_ sequence: Int64, error: String?, availableAt: Date) {
        var entry = pending[sequence]!
        entry.lastError = error
        if entry.attempts >= configuration.maxAttempts {
            pending[sequence] = nil
            deadLetters[sequence] = DeadLetteredEvent(stored: entry.stored, attempts: entry.attempts, lastError: error)
        } else {
            entry.status = .available(at: availableAt)
            pending[sequence] = entry
        }
    }
}
