import Herald
import Synchronization

/// Records events and lets a test wait, with a deadline and without sleeping, until the ones it expects
/// have arrived.
///
/// Use it as a fake ``EventPublisher`` (for middleware and handlers under test), or attach it to a bus:
///
/// ```swift
/// let recorder = try EventRecorder(attachedTo: bus, pattern: "orders.>")
/// try await bus.publish(event)
/// let placed = try await recorder.waitForEvents(matching: "orders.placed", count: 1)
/// ```
public final class EventRecorder: EventPublisher, Sendable {
    private struct Waiter {
        let id: UInt64
        let pattern: TopicPattern
        let count: Int
        let continuation: CheckedContinuation<[Event], any Error>
    }

    private struct State {
        var events: [Event] = []
        var waiters: [Waiter] = []
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())
    private let subscription = Mutex<Subscription?>(nil)

    /// Creates a recorder that records what is published to it.
    public init() {}

    /// Creates a recorder subscribed to `bus` for events matching `pattern`, with a buffer large enough
    /// that it never applies backpressure in a test.
    public convenience init(attachedTo bus: EventBus, pattern: String = ">") throws {
        self.init()
        let subscription = try bus.subscribe(
            pattern,
            options: SubscriptionOptions(name: "event-recorder", bufferCapacity: 1 << 20)
        ) { [weak self] event in
            self?.record(event)
        }
        self.subscription.withLock { $0 = subscription }
    }

    deinit {
        subscription.withLock { $0?.cancel() }
    }

    /// Every event recorded so far, in order.
    public var events: [Event] { state.withLock { $0.events } }

    /// The recorded events whose type matches `pattern`, in order.
    public func events(matching pattern: TopicPattern) -> [Event] {
        state.withLock { $0.events.filter { pattern.matches($0.type) } }
    }

    /// Records `event`.
    public func publish(_ event: Event) async throws {
        record(event)
    }

    /// Records `events` in order.
    public func publish(_ events: [Event]) async throws {
        for event in events { record(event) }
    }

    /// Records `event` and wakes the waiters it satisfies.
    public func record(_ event: Event) {
        var satisfied: [(CheckedContinuation<[Event], any Error>, [Event])] = []
        state.withLock { state in
            state.events.append(event)
            state.waiters.removeAll { waiter in
                let matching = state.events.filter { waiter.pattern.matches($0.type) }
                guard matching.count >= waiter.count else { return false }
                satisfied.append((waiter.continuation, Array(matching.prefix(waiter.count))))
                return true
            }
        }
        for (continuation, events) in satisfied { continuation.resume(returning: events) }
    }

    /// Waits until at least `count` recorded events match `pattern`, and returns the first `count` of them.
    ///
    /// - Throws: ``EventRecorderTimeout`` when they have not all arrived within `timeout`, naming what did.
    public func waitForEvents(
        matching pattern: String,
        count: Int = 1,
        timeout: Duration = testHangLimit
    ) async throws -> [Event] {
        let pattern = try TopicPattern(pattern)
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        return try await withThrowingTaskGroup(of: [Event].self) { group in
            group.addTask {
                try await withTaskCancellationHandler {
                    try await withCheckedThrowingContinuation { continuation in
                        let ready: [Event]? = self.state.withLock { state in
                            let matching = state.events.filter { pattern.matches($0.type) }
                            if matching.count >= count { return Array(matching.prefix(count)) }
                            state.waiters.append(
                                Waiter(id: id, pattern: pattern, count: count, continuation: continuation))
                            return nil
                        }
                        if let ready { continuation.resume(returning: ready) }
                    }
                } onCancel: {
                    let waiter = self.state.withLock { state -> Waiter? in
                        guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                        return state.waiters.remove(at: index)
                    }
                    waiter?.continuation.resume(throwing: CancellationError())
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                let seen = self.events(matching: pattern).count
                throw EventRecorderTimeout(pattern: pattern.text, expected: count, received: seen, timeout: timeout)
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }
}

/// The events a test waited for did not all arrive in time.
public struct EventRecorderTimeout: Error, CustomStringConvertible {
    /// The pattern waited for.
    public var pattern: String
    /// How many events were expected.
    public var expected: Int
    /// How many had arrived when the time ran out.
    public var received: Int
    /// How long the test waited.
    public var timeout: Duration

    public var description: String {
        "waited \(timeout) for \(expected) event(s) matching '\(pattern)', received \(received)"
    }
}
