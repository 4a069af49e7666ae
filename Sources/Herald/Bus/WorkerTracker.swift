import Synchronization

/// Counts a bus's running worker tasks so shutdown can wait for them to end, and stop waiting when its
/// grace period runs out (awaiting `Task.value` could not be abandoned: a hung handler would hang shutdown).
final class WorkerTracker: Sendable {
    private struct State {
        var running = 0
        var waiters: [UInt64: CheckedContinuation<Void, any Error>] = [:]
        var nextWaiterID: UInt64 = 0
    }

    private let state = Mutex(State())

    func started() {
        state.withLock { $0.running += 1 }
    }

    func finished() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            state.running -= 1
            guard state.running == 0 else { return [] }
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Waits until no worker is running; throws `CancellationError` if the calling task is cancelled first.
    func waitUntilNoneRunning() async throws {
        let id = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let result: Result<Void, any Error>? = state.withLock { state in
                    if state.running == 0 { return .success(()) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    state.waiters[id] = continuation
                    return nil
                }
                if let result { continuation.resume(with: result) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume(throwing: CancellationError())
        }
    }
}
