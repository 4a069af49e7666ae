import Foundation
import Synchronization

/// An ``EventLog``, ``ConsumerGroupStore`` and ``LockStore`` in memory: the reference implementation the
/// durable backends match, and a fast store for tests and single-process use.
///
/// Nothing survives the process. Time (`deliverat`, leases, redelivery delays, retention ages, waits)
/// comes from the injected ``WallClock``, so a test clock drives all of it. Scheduled events whose time
/// has come are appended at the start of every operation, and waiting callers wake up on their own
/// when one falls due.
///
/// ```swift
/// let store = InMemoryEventStore()
/// try await store.append(event)
/// _ = try await store.createGroup(ConsumerGroupConfiguration(name: "billing", topic: try TopicPattern("orders.>")))
/// for delivery in try await store.poll(group: "billing", max: 10, wait: .seconds(5)) { ... }
/// ```
public final class InMemoryEventStore: AcknowledgingEventLog, Sendable {
    /// Why a waiting call resumed.
    private enum Wake: Sendable {
        /// The state changed: an append, an acknowledgement, a deleted group.
        case changed
        /// The deadline the call waited for has passed.
        case deadlinePassed(Date)
    }

    /// What one try of a waiting call came to.
    private enum Attempt<Value: Sendable>: Sendable {
        case done(Value)
        /// Try again when the state changes, or at this time.
        case wait(until: Date)
    }

    private struct State {
        var log = InMemoryLog()
        var groups: [String: InMemoryConsumerGroup] = [:]
        /// Process manager instances, by process name, then key (see `InMemoryEventStore+Processes.swift`).
        var processes: [String: [String: ProcessRecord]] = [:]
        var waiters: [UInt64: CheckedContinuation<Wake, any Error>] = [:]
        var lastWaiterID: UInt64 = 0
        /// Set when something changed that waiting calls may be waiting for.
        var changed = false

        mutating func takeWaitersIfChanged() -> [CheckedContinuation<Wake, any Error>] {
            guard changed else { return [] }
            changed = false
            defer { waiters.removeAll() }
            return Array(waiters.values)
        }

        func group(_ name: String) throws(EventLogError) -> InMemoryConsumerGroup {
            guard let group = groups[name] else { throw .groupNotFound(name) }
            return group
        }
    }

    private let clock: any WallClock
    private let state = Mutex(State())
    /// The locks, on the same clock (see `InMemoryEventStore+Locks.swift`).
    let locks: InMemoryLockStore
    /// The schedules, on the same clock (see `InMemoryEventStore+Schedules.swift`).
    let scheduleStore: InMemoryScheduleStore

    /// Creates an empty store that reads time from `clock`.
    public init(clock: any WallClock = SystemWallClock()) {
        self.clock = clock
        self.locks = InMemoryLockStore(clock: clock)
        self.scheduleStore = InMemoryScheduleStore(clock: clock)
    }

    // MARK: EventLog

    public func append(_ events: [Event], expecting expectation: StreamExpectation?) async throws -> [AppendResult] {
        for (index, event) in events.enumerated() {
            do {
                try event.validate()
            } catch {
                throw EventBatchError(index: index, underlying: error)
            }
        }
        return try mutate { state, now in
            let results = try state.log.append(events, expecting: expectation, now: now)
            if results.contains(where: { !$0.isDuplicate }) { state.changed = true }
            return results
        }
    }

    public func read(after sequence: Int64, filter: EventFilter, limit: Int) async throws -> EventPage {
        try StoreLimits.checkRead(limit: limit, of: "read")
        return try mutate { state, _ in state.log.read(after: sequence, filter: filter, limit: limit) }
    }

    public func lastSequence() async throws -> Int64 {
        try mutate { state, _ in state.log.lastSequence }
    }

    public func streamVersion(_ stream: String) async throws -> Int {
        try mutate { state, _ in state.log.streamVersion(stream) }
    }

    public func waitForEvents(after sequence: Int64, timeout: Duration) async throws -> Bool {
        let deadline = clock.now.addingTimeInterval(timeout.timeInterval)
        return try await retry { state, now in
            if state.log.lastSequence > sequence { return .done(true) }
            if now >= deadline { return .done(false) }
            return .wait(until: min(deadline, state.log.nextDue ?? deadline))
        }
    }

    public func eventTypes() async throws -> [EventTypeSummary] {
        try mutate { state, _ in state.log.eventTypes }
    }

    public func applyRetention(_ policies: [RetentionPolicy]) async throws -> Int {
        try mutate { state, now in
            let removed = Self.removable(by: policies, from: state, now: now)
            state.log.remove(removed)
            for name in state.groups.keys { state.groups[name]!.forget(removed) }
            return removed.count
        }
    }

    // MARK: ConsumerGroupStore

    public func createGroup(_ configuration: ConsumerGroupConfiguration) async throws -> Bool {
        try configuration.validate()
        return try mutate { state, _ in
            if let existing = state.groups[configuration.name] {
                guard existing.configuration == configuration else {
                    throw EventLogError(
                        .groupConflict,
                        "consumer group '\(configuration.name)' exists with other settings "
                            + "(\(Self.describe(existing.configuration))); delete it first or pick another name"
                    )
                }
                return false
            }
            state.groups[configuration.name] = InMemoryConsumerGroup(configuration: configuration, log: state.log)
            return true
        }
    }

    public func deleteGroup(named name: String) async throws -> Bool {
        try mutate { state, _ in
            guard state.groups.removeValue(forKey: name) != nil else { return false }
            // Pollers of the group wake up and report that it is gone.
            state.changed = true
            return true
        }
    }

    public func groupInfo(named name: String) async throws -> ConsumerGroupInfo? {
        try mutate { state, now in
            guard state.groups[name] != nil else { return nil }
            state.groups[name]!.expireLeases(now: now)
            return Self.info(state.groups[name]!, log: state.log, now: now)
        }
    }

    public func groups() async throws -> [ConsumerGroupInfo] {
        try mutate { state, now in
            state.groups.keys.sorted().map { name in
                state.groups[name]!.expireLeases(now: now)
                return Self.info(state.groups[name]!, log: state.log, now: now)
            }
        }
    }

    public func poll(group name: String, max: Int, wait: Duration) async throws -> [Delivery] {
        try StoreLimits.checkPoll(max: max)
        let deadline = clock.now.addingTimeInterval(wait.timeInterval)
        return try await retry { state, now in
            var group = try state.group(name)
            let deliveries = group.poll(max: max, now: now, log: state.log) { sequence, attempt in
                "\(name)-\(sequence)-\(attempt)-\(String(UInt64.random(in: .min ... .max), radix: 36))"
            }
            state.groups[name] = group
            if !deliveries.isEmpty || now >= deadline { return .done(deliveries) }
            let wakes = [deadline, group.nextWake(now: now), state.log.nextDue].compactMap { $0 }
            return .wait(until: wakes.min()!)
        }
    }

    /// How many entries the store keeps for the group's events (taken, in flight, waiting for a redelivery
    /// or dead): what the conformance suite counts to see that a poll's work does not grow with the backlog.
    package func groupRowCount(_ group: String) throws -> Int {
        try mutate { state, _ in
            let group = try state.group(group)
            return group.pending.count + group.deadLetters.count
        }
    }

    public func ack(group name: String, deliveryIDs: [String]) async throws -> Int {
        try await ackReturningIDs(group: name, deliveryIDs: deliveryIDs).count
    }

    public func nack(group name: String, deliveryIDs: [String], delay: Duration, error: String?) async throws -> Int {
        try await nackReturningIDs(group: name, deliveryIDs: deliveryIDs, delay: delay, error: error).count
    }

    public func seek(group name: String, to position: ConsumerGroupConfiguration.StartPosition) async throws
        -> Int64
    {
        try mutate { state, _ in
            var group = try state.group(name)
            let cursor = group.seek(to: position, in: state.log)
            state.groups[name] = group
            // Pollers find the events after the new position.
            state.changed = true
            return cursor
        }
    }

    public func ackReturningIDs(group name: String, deliveryIDs: [String]) async throws -> Set<String> {
        try mutate { state, now in
            var group = try state.group(name)
            let acknowledged = group.ackReturningIDs(deliveryIDs, now: now)
            state.groups[name] = group
            // In ordered mode an acknowledgement lets the next event of its key go.
            if !acknowledged.isEmpty { state.changed = true }
            return acknowledged
        }
    }

    public func append(_ events: [Event], acknowledging deliveryID: String, of group: String) async throws
        -> [AppendResult]?
    {
        try AppendBatch.validate(events, expecting: nil)
        return try mutate { state, now in
            var consumers = try state.group(group)
            guard !consumers.ackReturningIDs([deliveryID], now: now).isEmpty else { return nil }
            let results = try state.log.append(events, expecting: nil, now: now)
            state.groups[group] = consumers
            state.changed = true
            return results
        }
    }

    public func nackReturningIDs(group name: String, deliveryIDs: [String], delay: Duration, error: String?)
        async throws -> Set<String>
    {
        try StoreLimits.checkNack(delay: delay)
        return try mutate { state, now in
            var group = try state.group(name)
            let failed = group.nackReturningIDs(deliveryIDs, delay: delay, error: error, now: now)
            state.groups[name] = group
            if !failed.isEmpty { state.changed = true }
            return failed
        }
    }

    public func deadLetters(group name: String, limit: Int) async throws -> [DeadLetteredEvent] {
        try StoreLimits.checkRead(limit: limit, of: "dead letter")
        return try mutate { state, now in
            var group = try state.group(name)
            group.expireLeases(now: now)
            state.groups[name] = group
            return group.deadLetters(limit: limit)
        }
    }

    public func requeueDeadLetters(group name: String, sequences: [Int64]?) async throws -> Int {
        try mutate { state, now in
            var group = try state.group(name)
            let count = group.requeueDeadLetters(sequences, now: now)
            state.groups[name] = group
            if count > 0 { state.changed = true }
            return count
        }
    }

    // MARK: Locking and waiting

    /// Runs `body` under the lock with the process records and the log, at the clock's current time, waking
    /// waiting calls when `body` appended events (see `InMemoryEventStore+Processes.swift`).
    func withProcesses<Value: Sendable>(
        _ body: (inout [String: [String: ProcessRecord]], inout InMemoryLog, Date) throws -> Value
    ) throws -> Value {
        try mutate { state, now in
            let before = state.log.lastSequence
            let earliestDue = state.log.nextDue
            defer { if state.log.lastSequence != before || state.log.nextDue != earliestDue { state.changed = true } }
            return try body(&state.processes, &state.log, now)
        }
    }

    /// Runs `body` under the lock at the clock's current time, after appending the scheduled events that
    /// are due, then wakes the waiting calls if anything they may wait for changed.
    private func mutate<Value: Sendable>(_ body: (inout State, Date) throws -> Value) throws -> Value {
        let now = clock.now
        let (result, woken) = state.withLock { state in
            if state.log.promoteDue(now: now) { state.changed = true }
            let result = Result { try body(&state, now) }
            return (result, state.takeWaitersIfChanged())
        }
        for waiter in woken { waiter.resume(returning: .changed) }
        return try result.get()
    }

    /// Tries `attempt` under the lock until it is done, waiting between tries until the state changes or
    /// the time it asks for comes; throws `CancellationError` when the task is cancelled while waiting.
    private func retry<Value: Sendable>(_ attempt: (inout State, Date) throws -> Attempt<Value>) async throws -> Value {
        // After a timer fired, the time is at least its deadline, whatever rounding the clock does.
        var reached = Date.distantPast
        while true {
            let id = state.withLock { state in
                state.lastWaiterID += 1
                return state.lastWaiterID
            }
            var finished: Value?
            var timer: Task<Void, Never>?
            defer { timer?.cancel() }
            let wake = try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Wake, any Error>) in
                    let now = max(clock.now, reached)
                    let (outcome, woken) = state.withLock { state in
                        if state.log.promoteDue(now: now) { state.changed = true }
                        var outcome = Result { try attempt(&state, now) }
                        if case .success(.wait) = outcome {
                            // Checked under the lock: a cancellation handler that ran before found no
                            // waiter to resume, so the cancellation must be caught here.
                            if Task.isCancelled {
                                outcome = .failure(CancellationError())
                            } else {
                                state.waiters[id] = continuation
                            }
                        }
                        return (outcome, state.takeWaitersIfChanged())
                    }
                    for waiter in woken { waiter.resume(returning: .changed) }
                    switch outcome {
                    case .failure(let error):
                        continuation.resume(throwing: error)
                    case .success(.done(let value)):
                        finished = value
                        continuation.resume(returning: .changed)
                    case .success(.wait(let deadline)):
                        timer = Task { [self] in
                            do { try await clock.sleep(until: deadline) } catch { return }
                            state.withLock { $0.waiters.removeValue(forKey: id) }?
                                .resume(returning: .deadlinePassed(deadline))
                        }
                    }
                }
            } onCancel: {
                state.withLock { $0.waiters.removeValue(forKey: id) }?.resume(throwing: CancellationError())
            }
            if let finished { return finished }
            if case .deadlinePassed(let deadline) = wake { reached = max(reached, deadline) }
        }
    }

    // MARK: Helpers

    private static func info(_ group: InMemoryConsumerGroup, log: InMemoryLog, now: Date) -> ConsumerGroupInfo {
        ConsumerGroupInfo(
            configuration: group.configuration,
            lag: group.lag(in: log),
            inFlight: group.inFlight(now: now),
            deadLetters: group.deadLetters.count
        )
    }

    private static func describe(_ configuration: ConsumerGroupConfiguration) -> String {
        "topic '\(configuration.topic)', start \(configuration.start), max attempts \(configuration.maxAttempts), "
            + "ack timeout \(configuration.ackTimeout), ordered \(configuration.ordered)"
    }

    /// The sequences every policy matching them lets go: too old or beyond the newest `maxCount`, and
    /// acknowledged by every group unless the policy removes unacknowledged events too.
    private static func removable(by policies: [RetentionPolicy], from state: State, now: Date) -> Set<Int64> {
        let records = state.log.records
        let overCount = policies.map { policy -> Set<Int64> in
            guard let maxCount = policy.maxCount else { return [] }
            let matching = records.lazy.reversed().filter { policy.topic.matches($0.stored.event.type) }
            return Set(matching.dropFirst(Swift.max(0, maxCount)).map(\.sequence))
        }
        var removed: Set<Int64> = []
        for record in records {
            let applying = policies.indices.filter { policies[$0].topic.matches(record.stored.event.type) }
            guard !applying.isEmpty else { continue }
            let unacknowledged = state.groups.values.contains { $0.holdsUnacknowledged(record) }
            let allowed = applying.allSatisfy { index in
                let policy = policies[index]
                let tooOld = policy.maxAge.map { now.timeIntervalSince(record.storedAt) > $0.timeInterval } ?? false
                let expired = tooOld || overCount[index].contains(record.sequence)
                return expired && (policy.removesUnacknowledged || !unacknowledged)
            }
            if allowed { removed.insert(record.sequence) }
        }
        return removed
    }
}
