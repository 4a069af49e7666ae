import DequeModule
import Synchronization

/// The bounded buffer between publishers and one subscription's consumers.
///
/// Publishers ``offer(_:)`` events; consumers take them in batches (``next(into:completed:)``, for a
/// subscription that handles one event at a time) or one by one with partition keys held exclusive
/// (``nextKeyed(completing:)``, for concurrent handling). All state sits behind one lock, taken once per
/// offered event and once per batch taken, so a busy consumer costs publishers nothing extra.
final class Mailbox: Sendable {
    /// The result of offering an event.
    enum Offer {
        /// In the buffer (or dropped by policy); the publisher is done.
        case accepted
        /// Dropped because the buffer was full, by ``BackpressurePolicy/dropNewest`` or ``BackpressurePolicy/dropOldest``.
        case dropped
        /// The buffer was full under ``BackpressurePolicy/fail``.
        case full
        /// The buffer was full under ``BackpressurePolicy/suspend``: wait with ``waitToDeliver(_:)``.
        case mustWait
        /// The subscription is gone; nobody will handle the event.
        case closed
        /// The bus is shutting down: the event was not taken, and the publisher must hear so.
        case shutDown
    }

    /// Counters for ``Subscription/statistics``.
    struct Counts {
        var accepted: UInt64 = 0
        var completed: UInt64 = 0
        var failed: UInt64 = 0
        var dropped: UInt64 = 0
        var queued = 0
    }

    fileprivate struct BlockedPublisher {
        let id: UInt64
        var events: Deque<Event>
        let continuation: CheckedContinuation<Void, any Error>
    }

    fileprivate struct IdleWaiter {
        let target: UInt64
        let continuation: CheckedContinuation<Void, Never>
    }

    fileprivate struct State {
        /// Events a consumer may start now, in order.
        var ready: Deque<Event> = []
        /// In keyed mode, a key is present while an event of it is ready or running; its queue holds the
        /// later events of that key, which wait until the earlier one completes.
        var keyQueues: [String: Deque<Event>] = [:]
        var counts = Counts()
        var consumers: [CheckedContinuation<Void, Never>] = []
        var publishers: Deque<BlockedPublisher> = []
        var idleWaiters: [IdleWaiter] = []
        var nextWaiterID: UInt64 = 0
        /// No more events are accepted; consumers drain what is queued, then stop.
        var intakeClosed = false
        /// Queued events were discarded; consumers stop at once.
        var discarded = false
    }

    let capacity: Int
    let policy: BackpressurePolicy
    let keyed: Bool
    private let state = Mutex(State())
    /// Set once queued events are discarded, so a consumer can stop between events of a batch it holds.
    let isDiscarded = Atomic(false)
    /// How many events of the batch it holds the consumer has finished, before it reports them with
    /// ``next(into:completed:failed:waited:)``; lets ``counts`` include them while a later one runs.
    let finishedInBatch = Atomic(0)

    init(capacity: Int, policy: BackpressurePolicy, keyed: Bool) {
        self.capacity = capacity
        self.policy = policy
        self.keyed = keyed
    }

    var counts: Counts {
        state.withLock { state in
            var counts = state.counts
            counts.completed += UInt64(finishedInBatch.load(ordering: .relaxed))
            return counts
        }
    }

    /// Spins for a few microseconds before a busy consumer that took only a small batch takes the next one.
    ///
    /// A consumer that keeps up with a steady publisher otherwise takes one event per lock and makes the
    /// publisher contend for the lock on every publish; waiting briefly lets a batch build up. Measured
    /// with `herald-bench bus --cases 1to1`: batches of about 5 instead of 1, and 15% more events/s.
    /// Consumers call it only when they did not have to park for their last batch, so a quiet
    /// subscription never spins; it never delays a handler.
    func pauseBeforeNextBatch() {
        for _ in 0..<3_000 where isDiscarded.load(ordering: .relaxed) { return }
    }

    // MARK: Publishing

    /// Offers one event without waiting.
    func offer(_ event: Event) -> Offer {
        var consumer: CheckedContinuation<Void, Never>?
        let offer = state.withLock { state -> Offer in
            if state.intakeClosed { return state.discarded ? .closed : .shutDown }
            if state.counts.queued < capacity && state.publishers.isEmpty {
                if state.enqueue(event, keyed: keyed) { consumer = state.consumers.popLast() }
                return .accepted
            }
            switch policy.kind {
            case .suspend:
                return .mustWait
            case .fail:
                return .full
            case .dropNewest:
                state.counts.dropped += 1
                return .dropped
            case .dropOldest:
                state.dropOldest(keyed: keyed)
                if state.enqueue(event, keyed: keyed) { consumer = state.consumers.popLast() }
                return .dropped
            }
        }
        consumer?.resume()
        return offer
    }

    /// Waits until the buffer has taken every one of `events`, in order, behind publishers already waiting.
    ///
    /// Throws `CancellationError` when the calling task is cancelled first, and `failure` when the
    /// mailbox closes for shutdown first; events already moved into the buffer stay there.
    func waitToDeliver(_ events: Deque<Event>, failure: EventBusError) async throws {
        let id = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                var consumer: CheckedContinuation<Void, Never>?
                let result: Result<Void, any Error>? = state.withLock { state in
                    if state.intakeClosed { return state.discarded ? .success(()) : .failure(failure) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    var remaining = events
                    if state.publishers.isEmpty {
                        while state.counts.queued < capacity, let event = remaining.popFirst() {
                            if state.enqueue(event, keyed: keyed), consumer == nil {
                                consumer = state.consumers.popLast()
                            }
                        }
                    }
                    if remaining.isEmpty { return .success(()) }
                    state.publishers.append(BlockedPublisher(id: id, events: remaining, continuation: continuation))
                    return nil
                }
                consumer?.resume()
                if let result { continuation.resume(with: result) }
            }
        } onCancel: {
            let blocked = state.withLock { state -> BlockedPublisher? in
                guard let index = state.publishers.firstIndex(where: { $0.id == id }) else { return nil }
                return state.publishers.remove(at: index)
            }
            blocked?.continuation.resume(throwing: CancellationError())
        }
    }

    // MARK: Consuming

    /// Takes every ready event into `batch` (which must be empty), after recording that the previous
    /// batch of `completed` events, `failed` of them with an error, is done. Waits while nothing is ready.
    ///
    /// Returns `false` once the mailbox is closed and drained, or the calling task is cancelled. Sets
    /// `waited` to whether the consumer had to park for this batch.
    func next(into batch: inout Deque<Event>, completed: Int, failed: Int, waited: inout Bool) async -> Bool {
        var completed = completed
        var failed = failed
        waited = false
        while true {
            var resumptions = Resumptions()
            let outcome = state.withLock { state -> TakeOutcome in
                state.complete(count: completed, failed: failed, resumptions: &resumptions)
                finishedInBatch.store(0, ordering: .relaxed)
                if state.discarded { return .finished }
                if !state.ready.isEmpty {
                    swap(&state.ready, &batch)
                    state.counts.queued -= batch.count
                    state.admitBlockedPublishers(capacity: capacity, keyed: keyed, resumptions: &resumptions)
                    return .took
                }
                return state.isDrained ? .finished : .empty
            }
            resumptions.resumeAll()
            completed = 0
            failed = 0
            switch outcome {
            case .took: return true
            case .finished: return false
            case .empty:
                if Task.isCancelled { return false }
                waited = true
                await parkConsumer()
            }
        }
    }

    /// Takes the next event whose partition key is not already running, after recording that `finished`
    /// (if any) completed, `failed` telling whether it threw. Waits while no event can start.
    ///
    /// Returns `nil` once the mailbox is closed and drained, or the calling task is cancelled.
    func nextKeyed(completing finished: Event?, failed: Bool) async -> Event? {
        var finished = finished
        while true {
            var resumptions = Resumptions()
            let event = state.withLock { state -> TakeOutcome.Keyed in
                if let done = finished {
                    state.complete(count: 1, failed: failed ? 1 : 0, resumptions: &resumptions)
                    if let key = done.partitionKey, state.release(key: key), let waiting = state.consumers.popLast() {
                        resumptions.consumers.append(waiting)
                    }
                }
                if state.discarded { return .finished }
                if let event = state.ready.popFirst() {
                    state.counts.queued -= 1
                    state.admitBlockedPublishers(capacity: capacity, keyed: keyed, resumptions: &resumptions)
                    if state.isDrained {
                        // The last event is taken: consumers parked behind a running key must stop now,
                        // as nothing will wake them again.
                        resumptions.consumers += state.consumers
                        state.consumers.removeAll()
                    }
                    return .took(event)
                }
                return state.isDrained ? .finished : .empty
            }
            resumptions.resumeAll()
            finished = nil
            switch event {
            case .took(let event): return event
            case .finished: return nil
            case .empty:
                if Task.isCancelled { return nil }
                await parkConsumer()
            }
        }
    }

    private enum TakeOutcome {
        case took, finished, empty

        enum Keyed {
            case took(Event), finished, empty
        }
    }

    private func parkConsumer() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let wakeNow = state.withLock { state in
                if !state.ready.isEmpty || state.isDrained || state.discarded || Task.isCancelled { return true }
                state.consumers.append(continuation)
                return false
            }
            if wakeNow { continuation.resume() }
        }
    }

    /// Wakes every parked consumer so it can notice that its task was cancelled.
    func wakeConsumers() {
        let consumers = state.withLock { state in
            defer { state.consumers.removeAll() }
            return state.consumers
        }
        for consumer in consumers { consumer.resume() }
    }

    // MARK: Lifecycle

    /// Stops intake. Consumers finish the queued events, then stop. Blocked publishers fail with `failure`.
    func closeIntake(failingBlockedPublishersWith failure: EventBusError) {
        close(discarding: false, failure: failure)
    }

    /// Stops intake and drops the queued events; returns how many were dropped. Blocked publishers
    /// return normally: the subscriber left, which is not the publisher's failure.
    @discardableResult
    func discard() -> Int {
        close(discarding: true, failure: nil)
    }

    @discardableResult
    private func close(discarding: Bool, failure: EventBusError?) -> Int {
        var resumptions = Resumptions()
        var blocked: Deque<BlockedPublisher> = []
        let dropped = state.withLock { state -> Int in
            state.intakeClosed = true
            swap(&blocked, &state.publishers)
            resumptions.consumers = state.consumers
            state.consumers.removeAll()
            guard discarding else { return 0 }
            state.discarded = true
            isDiscarded.store(true, ordering: .relaxed)
            let dropped = state.counts.queued
            state.ready.removeAll()
            state.keyQueues.removeAll()
            state.counts.queued = 0
            state.complete(count: dropped, failed: 0, resumptions: &resumptions)
            // Events taken but still being handled will complete later; waiting for them is pointless
            // once the subscription is gone, so release every idle waiter now.
            resumptions.idleWaiters += state.idleWaiters.map(\.continuation)
            state.idleWaiters.removeAll()
            return dropped
        }
        for publisher in blocked {
            if let failure {
                publisher.continuation.resume(throwing: failure)
            } else {
                publisher.continuation.resume()
            }
        }
        resumptions.resumeAll()
        return dropped
    }

    /// Waits until every event accepted before the call has completed (handled, failed, or dropped).
    func waitUntilIdle() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let idle = state.withLock { state in
                let target = state.counts.accepted
                if state.counts.completed >= target || state.discarded { return true }
                state.idleWaiters.append(IdleWaiter(target: target, continuation: continuation))
                return false
            }
            if idle { continuation.resume() }
        }
    }
}

/// Continuations collected under the lock and resumed after it is released.
private struct Resumptions {
    var consumers: [CheckedContinuation<Void, Never>] = []
    var publishers: [CheckedContinuation<Void, any Error>] = []
    var idleWaiters: [CheckedContinuation<Void, Never>] = []

    func resumeAll() {
        for consumer in consumers { consumer.resume() }
        for publisher in publishers { publisher.resume() }
        for waiter in idleWaiters { waiter.resume() }
    }
}

extension Mailbox.State {
    /// Closed, and nothing left that a consumer could take.
    fileprivate var isDrained: Bool { intakeClosed && counts.queued == 0 }

    /// Adds an event to the buffer; returns whether it is ready to start (so a parked consumer should wake).
    fileprivate mutating func enqueue(_ event: Event, keyed: Bool) -> Bool {
        counts.queued += 1
        counts.accepted += 1
        if keyed, let key = event.partitionKey {
            if keyQueues[key] != nil {
                keyQueues[key]!.append(event)
                return false
            }
            keyQueues[key] = []
        }
        ready.append(event)
        return true
    }

    /// Marks `key`'s running event done and readies its next one; returns whether one became ready.
    fileprivate mutating func release(key: String) -> Bool {
        if let next = keyQueues[key]?.popFirst() {
            ready.append(next)
            return true
        }
        keyQueues[key] = nil
        return false
    }

    fileprivate mutating func dropOldest(keyed: Bool) {
        if let oldest = ready.popFirst() {
            if keyed, let key = oldest.partitionKey { _ = release(key: key) }
        } else if let key = keyQueues.first(where: { !$0.value.isEmpty })?.key {
            keyQueues[key]!.removeFirst()
        } else {
            return
        }
        counts.queued -= 1
        counts.dropped += 1
        counts.completed += 1
    }

    fileprivate mutating func complete(count: Int, failed: Int, resumptions: inout Resumptions) {
        guard count > 0 else { return }
        counts.completed += UInt64(count)
        counts.failed += UInt64(failed)
        guard !idleWaiters.isEmpty else { return }
        let completed = counts.completed
        idleWaiters.removeAll { waiter in
            guard waiter.target <= completed else { return false }
            resumptions.idleWaiters.append(waiter.continuation)
            return true
        }
    }

    fileprivate mutating func admitBlockedPublishers(capacity: Int, keyed: Bool, resumptions: inout Resumptions) {
        var readied = false
        while counts.queued < capacity, !publishers.isEmpty {
            while counts.queued < capacity, let event = publishers[0].events.popFirst() {
                readied = enqueue(event, keyed: keyed) || readied
            }
            if publishers[0].events.isEmpty {
                resumptions.publishers.append(publishers.removeFirst().continuation)
            }
        }
        if readied { resumptions.consumers += consumers.popLast().map { [$0] } ?? [] }
    }
}
