import Foundation
import Herald
import HeraldTesting
import Synchronization

/// An in-memory store that can be switched off: while ``isDown`` every call fails at once with
/// ``EventLogError/Code/unavailable``, as a PostgreSQL store does while its database restarts.
///
/// `waitForEvents` waits at most 50 ms at a time, so that a waiter notices an outage that begins while it
/// waits, as the PostgreSQL store's fallback check does. The instant of every refused call is kept.
final class UnavailableStore: EventLog, ConsumerGroupStore {
    let base = InMemoryEventStore()
    private let down = Atomic<Bool>(false)
    private let refused = Mutex<[ContinuousClock.Instant]>([])

    static let message = "the test database is down; retry later"

    /// Whether calls fail now.
    var isDown: Bool {
        get { down.load(ordering: .relaxed) }
        set { down.store(newValue, ordering: .relaxed) }
    }

    /// When each refused call came, oldest first.
    var refusedCalls: [ContinuousClock.Instant] { refused.withLock { $0 } }

    private func check() throws {
        guard isDown else { return }
        refused.withLock { $0.append(.now) }
        throw EventLogError(.unavailable, Self.message)
    }

    func append(_ events: [Event], expecting expectation: StreamExpectation?) async throws -> [AppendResult] {
        try check()
        return try await base.append(events, expecting: expectation)
    }

    func read(after sequence: Int64, filter: EventFilter, limit: Int) async throws -> EventPage {
        try check()
        return try await base.read(after: sequence, filter: filter, limit: limit)
    }

    func lastSequence() async throws -> Int64 {
        try check()
        return try await base.lastSequence()
    }

    func streamVersion(_ stream: String) async throws -> Int {
        try check()
        return try await base.streamVersion(stream)
    }

    func waitForEvents(after sequence: Int64, timeout: Duration) async throws -> Bool {
        try check()
        return try await base.waitForEvents(after: sequence, timeout: min(timeout, .milliseconds(50)))
    }

    func applyRetention(_ policies: [RetentionPolicy]) async throws -> Int {
        try check()
        return try await base.applyRetention(policies)
    }

    func eventTypes() async throws -> [EventTypeSummary] {
        try check()
        return try await base.eventTypes()
    }

    func createGroup(_ configuration: ConsumerGroupConfiguration) async throws -> Bool {
        try check()
        return try await base.createGroup(configuration)
    }

    func deleteGroup(named name: String) async throws -> Bool {
        try check()
        return try await base.deleteGroup(named: name)
    }

    func groupInfo(named name: String) async throws -> ConsumerGroupInfo? {
        try check()
        return try await base.groupInfo(named: name)
    }

    func groups() async throws -> [ConsumerGroupInfo] {
        try check()
        return try await base.groups()
    }

    func poll(group: String, max: Int, wait: Duration) async throws -> [Delivery] {
        try check()
        return try await base.poll(group: group, max: max, wait: wait)
    }

    func ack(group: String, deliveryIDs: [String]) async throws -> Int {
        try check()
        return try await base.ack(group: group, deliveryIDs: deliveryIDs)
    }

    func nack(group: String, deliveryIDs: [String], delay: Duration, error: String?) async throws -> Int {
        try check()
        return try await base.nack(group: group, deliveryIDs: deliveryIDs, delay: delay, error: error)
    }

    func deadLetters(group: String, limit: Int) async throws -> [DeadLetteredEvent] {
        try check()
        return try await base.deadLetters(group: group, limit: limit)
    }

    func seek(group: String, to position: ConsumerGroupConfiguration.StartPosition) async throws -> Int64 {
        try check()
        return try await base.seek(group: group, to: position)
    }

    func requeueDeadLetters(group: String, sequences: [Int64]?) async throws -> Int {
        try check()
        return try await base.requeueDeadLetters(group: group, sequences: sequences)
    }
}
