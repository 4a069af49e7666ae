import Synchronization

/// A lock for async code: one holder at a time, the others wait in line without blocking a thread.
///
/// The store's single write connection is used by one transaction at a time, and a transaction spans
/// several suspensions (one per statement), so a `Mutex` cannot guard it.
final class AsyncLock: Sendable {
    private struct State {
        var isLocked = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// Waits for the lock. Not cancellable: a transaction already queued runs.
    func lock() async {
        await withCheckedContinuation { continuation in
            let acquired = state.withLock { state in
                guard state.isLocked else {
                    state.isLocked = true
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if acquired { continuation.resume() }
        }
    }

    /// Hands the lock to the next waiter, or frees it.
    func unlock() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiters.isEmpty else {
                state.isLocked = false
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}
