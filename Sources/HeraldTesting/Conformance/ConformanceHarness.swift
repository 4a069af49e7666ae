import Foundation
import Herald
import Synchronization
import Testing

/// The store under test in one case, with its clock, and helpers the cases share.
final class ConformanceHarness: Sendable {
    let fixture: any EventStoreFixture
    /// The test clock the store reads, in cases that move time; `nil` when the store reads system time.
    let testClock: TestClock?
    let wallClock: any WallClock
    private let current: Mutex<any EventLog & ConsumerGroupStore>

    private init(fixture: any EventStoreFixture, testClock: TestClock?, store: any EventLog & ConsumerGroupStore) {
        self.fixture = fixture
        self.testClock = testClock
        self.wallClock = testClock?.wallClock() ?? SystemWallClock()
        self.current = Mutex(store)
    }

    /// The store; a new one after ``reopen()``.
    var store: any EventLog & ConsumerGroupStore { current.withLock { $0 } }

    /// The test clock; only in cases that declare ``Capabilities/controllableClock``.
    var clock: TestClock { testClock! }

    /// Makes a case that runs `body` against a fresh store from the fixture and tears it down afterwards.
    static func conformanceCase(
        _ name: String,
        requires requirements: Capabilities = [],
        _ body: @escaping @Sendable (ConformanceHarness) async throws -> Void
    ) -> ConformanceCase {
        ConformanceCase(name: name, requirements: requirements) { fixture in
            let testClock = requirements.contains(.controllableClock) ? TestClock() : nil
            let wallClock: any WallClock = testClock?.wallClock() ?? SystemWallClock()
            let store = try await fixture.makeStore(clock: wallClock)
            let harness = ConformanceHarness(fixture: fixture, testClock: testClock, store: store)
            do {
                try await body(harness)
            } catch {
                try? await fixture.tearDown(harness.store)
                throw error
            }
            try await fixture.tearDown(harness.store)
        }
    }

    /// Closes the store and opens its storage again through the fixture.
    func reopen() async throws {
        let reopened = try await fixture.reopen(store, clock: wallClock)
        current.withLock { $0 = reopened }
    }

    /// Advances the test clock.
    func advance(by duration: Duration) {
        clock.advance(by: duration)
    }

    /// Creates a group, expecting it to be new.
    func createGroup(
        _ name: String,
        topic: String = ">",
        start: ConsumerGroupConfiguration.StartPosition = .earliest,
        maxAttempts: Int = 5,
        // Cases that let leases expire say how long they last; elsewhere a lease must outlast any stall of a
        // loaded machine, or the event comes again where the case expects it held.
        ackTimeout: Duration = .seconds(3_600),
        ordered: Bool = false,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let configuration = ConsumerGroupConfiguration(
            name: name,
            topic: try TopicPattern(topic),
            start: start,
            maxAttempts: maxAttempts,
            ackTimeout: ackTimeout,
            ordered: ordered
        )
        let created = try await store.createGroup(configuration)
        #expect(created, "group '\(name)' should be new", sourceLocation: sourceLocation)
    }

    /// Appends events one batch at a time and returns their sequences, expecting every one stored.
    @discardableResult
    func appendStored(_ events: [Event], sourceLocation: SourceLocation = #_sourceLocation) async throws -> [Int64] {
        let results = try await store.append(events)
        return try results.map { result in
            try #require(
                result.sequence, "\(result.id) was not stored: \(result.outcome)", sourceLocation: sourceLocation)
        }
    }

    /// Polls without waiting (time stands still on a test clock).
    func pollNow(_ group: String, max: Int = 100) async throws -> [Delivery] {
        try await store.poll(group: group, max: max, wait: .zero)
    }

    /// Polls and acknowledges until the group has nothing deliverable now; returns what it received.
    func drain(_ group: String) async throws -> [Delivery] {
        var received: [Delivery] = []
        while true {
            let deliveries = try await pollNow(group)
            if deliveries.isEmpty { return received }
            _ = try await store.ack(group: group, deliveryIDs: deliveries.map(\.id))
            received += deliveries
        }
    }

    /// Every stored event, in sequence order.
    func readAll(filter: EventFilter = .all) async throws -> [StoredEvent] {
        var events: [StoredEvent] = []
        var after: Int64 = 0
        while true {
            let page = try await store.read(after: after, filter: filter, limit: 1_000)
            events += page.events
            if page.nextAfter == after { return events }
            after = page.nextAfter
        }
    }
}

/// Events the cases append: small JSON payloads numbered `n`, with ids unique to the case.
enum ConformanceEvents {
    static let source = "/herald/conformance"
    /// A whole-second time, so that stores that keep times as text keep it exactly.
    static let time = Date(timeIntervalSince1970: 1_767_225_600)

    static func make(
        _ n: Int,
        type: String = "conformance.item",
        id: String? = nil,
        subject: String? = nil,
        key: String? = nil,
        deliverAt: Date? = nil
    ) -> Event {
        var event = Event(
            id: id ?? "event-\(n)",
            source: source,
            type: type,
            subject: subject,
            data: Data(#"{"n":\#(n)}"#.utf8)
        )
        event.partitionKey = key
        event.deliverAt = deliverAt
        return event
    }

    static func many(_ count: Int, type: String = "conformance.item", prefix: String = "event") -> [Event] {
        (0..<count).map { make($0, type: type, id: "\(prefix)-\($0)") }
    }

    /// The `n` an event was made with.
    static func number(_ event: Event) -> Int? {
        guard let data = event.data, let text = String(data: data, encoding: .utf8) else { return nil }
        return Int(text.dropFirst(5).dropLast())
    }
}

/// Runs `body`, failing with ``ConformanceFailure`` if it takes longer than `limit` of real time: a guard
/// against a store that loses an event and leaves a reader waiting forever.
public func withTimeLimit<Value: Sendable>(
    _ limit: Duration,
    _ what: String,
    _ body: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    try await withThrowingTaskGroup(of: Value?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let value = try await group.next() ?? nil else {
            throw ConformanceFailure("\(what) did not finish within \(limit); an event was probably lost")
        }
        return value
    }
}

/// Runs `body`, failing when `progress` stands still for `idle`, or when the whole run passes `limit`.
///
/// A lost event stops progress, while a busy machine only slows it: a case that drains many events in
/// many round trips fails on the first and not on the second, which a single time limit cannot tell apart.
public func withProgressLimit<Value: Sendable>(
    idle: Duration,
    limit: Duration,
    _ what: String,
    progress: @escaping @Sendable () -> Int,
    _ body: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    try await withThrowingTaskGroup(of: Value?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            let clock = ContinuousClock()
            let started = clock.now
            var (last, since) = (progress(), started)
            while true {
                try await clock.sleep(for: .milliseconds(100))
                if case let now = progress(), now != last { (last, since) = (now, clock.now) }
                if clock.now - since >= idle {
                    throw ConformanceFailure(
                        "\(what) made no progress for \(idle), at \(last); an event was probably lost")
                }
                if clock.now - started >= limit { throw ConformanceFailure("\(what) did not finish within \(limit)") }
            }
        }
        defer { group.cancelAll() }
        guard let value = try await group.next() ?? nil else {
            throw ConformanceFailure("\(what) ended without a result")
        }
        return value
    }
}
