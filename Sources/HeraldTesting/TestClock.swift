import Synchronization

/// A clock that moves only when a test calls ``advance(by:)``, so code that sleeps can be tested without
/// waiting.
///
/// A task sleeping on the clock stays suspended until the clock is advanced to or past its deadline;
/// ``waitForSleepers(_:timeout:)`` lets a test wait until the code under test has reached its sleep
/// before advancing. A sleeper whose task is cancelled throws `CancellationError` at once and no longer
/// counts as sleeping.
public final class TestClock: Clock, Sendable {
    /// A point in the test clock's time: the duration since the clock's start.
    public struct Instant: InstantProtocol, CustomStringConvertible {
        /// How far this instant is from the clock's start.
        public var offset: Duration

        /// Creates the instant `offset` after the clock's start.
        public init(offset: Duration) {
            self.offset = offset
        }

        public func advanced(by duration: Duration) -> Instant {
            Instant(offset: offset + duration)
        }

        public func duration(to other: Instant) -> Duration {
            other.offset - offset
        }

        public static func < (lhs: Instant, rhs: Instant) -> Bool {
            lhs.offset < rhs.offset
        }

        public var description: String {
            "TestClock.Instant(\(offset))"
        }
    }

    /// Thrown by ``waitForSleepers(_:timeout:)`` when not enough tasks went to sleep in time.
    public struct SleepersTimeoutError: Error, CustomStringConvertible {
        /// How many sleepers the test waited for.
        public var expected: Int
        /// How many were sleeping when the wait gave up.
        public var sleeping: Int
        /// How long the test waited.
        public var timeout: Duration

        public var description: String {
            "TestClock: waited \(timeout) for \(expected) sleepers but only \(sleeping) are sleeping; "
                + "check that the code under test sleeps on this clock and not on another one"
        }
    }

    private enum Suspension {
        /// Allocated before the task suspends, so a cancellation that arrives first can be recorded.
        case preparing
        /// Ended before the task suspended; the task throws this error instead of suspending.
        case failed(any Error)
        case sleeper(deadline: Instant, continuation: CheckedContinuation<Void, any Error>)
        case waiter(count: Int, continuation: CheckedContinuation<Void, any Error>)
    }

    private struct State {
        var now: Instant
        var nextID = 0
        var suspensions: [Int: Suspension] = [:]

        var sleeperCount: Int {
            suspensions.values.count { if case .sleeper = $0 { true } else { false } }
        }

        mutating func prepare() -> Int {
            defer { nextID += 1 }
            suspensions[nextID] = .preparing
            return nextID
        }

        /// Removes the waiters whose count of sleepers has been reached, to be resumed outside the lock.
        mutating func takeSatisfiedWaiters() -> [CheckedContinuation<Void, any Error>] {
            let sleeping = sleeperCount
            var satisfied: [CheckedContinuation<Void, any Error>] = []
            for (id, suspension) in suspensions {
                if case .waiter(let count, let continuation) = suspension, count <= sleeping {
                    suspensions[id] = nil
                    satisfied.append(continuation)
                }
            }
            return satisfied
        }

        /// Ends suspension `id` with `error`: returns its continuation if it is suspended, or records the
        /// error if it has not suspended yet. Does nothing if it already ended.
        mutating func fail(_ id: Int, with error: any Error) -> CheckedContinuation<Void, any Error>? {
            switch suspensions[id] {
            case .preparing:
                suspensions[id] = .failed(error)
                return nil
            case .sleeper(_, let continuation), .waiter(_, let continuation):
                suspensions[id] = nil
                return continuation
            case .failed, nil:
                return nil
            }
        }
    }

    private let state: Mutex<State>

    /// Creates a clock whose time starts at `now`.
    public init(now: Instant = Instant(offset: .zero)) {
        state = Mutex(State(now: now))
    }

    /// The clock's current time; it changes only through ``advance(by:)``.
    public var now: Instant {
        state.withLock { $0.now }
    }

    /// Zero: the test clock resolves any duration.
    public var minimumResolution: Duration {
        .zero
    }

    /// How many tasks are sleeping on the clock now.
    public var sleeperCount: Int {
        state.withLock { $0.sleeperCount }
    }

    /// The deadlines of the tasks sleeping now, earliest first.
    public var sleeperDeadlines: [Instant] {
        state.withLock { state in
            state.suspensions.values.compactMap { suspension -> Instant? in
                if case .sleeper(let deadline, _) = suspension { deadline } else { nil }
            }
            .sorted()
        }
    }

    /// Suspends until the clock is advanced to `deadline` or past it.
    ///
    /// Returns at once when `deadline` is not in the future. Throws `CancellationError` when the task is
    /// cancelled, before or during the sleep. `tolerance` is ignored: the test decides when time moves.
    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        let id = state.withLock { $0.prepare() }
        try await suspend(id) { state, continuation in
            if deadline <= state.now { return .resumeNow }
            state.suspensions[id] = .sleeper(deadline: deadline, continuation: continuation)
            return .suspended(state.takeSatisfiedWaiters())
        }
    }

    /// Moves time forward by `duration` and wakes every sleeper whose deadline has been reached, earliest
    /// deadline first.
    public func advance(by duration: Duration) {
        precondition(duration >= .zero, "TestClock cannot move backwards (advance by \(duration))")
        let due = state.withLock { state in
            state.now = state.now.advanced(by: duration)
            var due: [(id: Int, deadline: Instant, continuation: CheckedContinuation<Void, any Error>)] = []
            for (id, suspension) in state.suspensions {
                if case .sleeper(let deadline, let continuation) = suspension, deadline <= state.now {
                    due.append((id, deadline, continuation))
                }
            }
            for sleeper in due { state.suspensions[sleeper.id] = nil }
            return due.sorted { ($0.deadline, $0.id) < ($1.deadline, $1.id) }
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Suspends until at least `count` tasks are sleeping on the clock.
    ///
    /// Use it before ``advance(by:)`` so the advance reaches the sleepers the test expects. Throws
    /// ``SleepersTimeoutError`` when `timeout` of real time passes first, and `CancellationError` when the
    /// task is cancelled.
    public func waitForSleepers(_ count: Int, timeout: Duration = .seconds(10)) async throws {
        let id = state.withLock { $0.prepare() }
        // The deadline is real time on purpose: it bounds a test that would otherwise hang.
        let timer = Task { [self] in
            try await ContinuousClock().sleep(for: timeout)
            let (waiter, error) = state.withLock { state in
                let error = SleepersTimeoutError(expected: count, sleeping: state.sleeperCount, timeout: timeout)
                return (state.fail(id, with: error), error)
            }
            waiter?.resume(throwing: error)
        }
        defer { timer.cancel() }
        try await suspend(id) { state, continuation in
            if state.sleeperCount >= count { return .resumeNow }
            state.suspensions[id] = .waiter(count: count, continuation: continuation)
            return .suspended([])
        }
    }

    private enum Registration {
        case resumeNow
        /// Suspended; the waiters to resume because this suspension satisfied them.
        case suspended([CheckedContinuation<Void, any Error>])
    }

    /// Suspends the calling task as suspension `id`, prepared beforehand so that a cancellation or timeout
    /// arriving before the task suspends is not lost.
    private func suspend(
        _ id: Int,
        register: (inout State, CheckedContinuation<Void, any Error>) -> Registration
    ) async throws {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let outcome = state.withLock { state -> Result<Registration, any Error> in
                    switch state.suspensions[id] {
                    case .failed(let error):
                        state.suspensions[id] = nil
                        return .failure(error)
                    default:
                        state.suspensions[id] = nil
                        return .success(register(&state, continuation))
                    }
                }
                switch outcome {
                case .failure(let error):
                    continuation.resume(throwing: error)
                case .success(.resumeNow):
                    continuation.resume()
                case .success(.suspended(let waiters)):
                    for waiter in waiters { waiter.resume() }
                }
            }
        } onCancel: {
            state.withLock { $0.fail(id, with: CancellationError()) }?.resume(throwing: CancellationError())
        }
    }
}
