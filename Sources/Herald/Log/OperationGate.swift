import Synchronization

/// The door of a durable store: it counts the operations under way, refuses new ones once closing has begun,
/// and lets `close` wait until the last one has ended, so that a store closes only what nobody uses.
package final class OperationGate: Sendable {
    private struct State {
        var isClosed = false
        var active = 0
        var drained: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())
    /// The error an operation gets once closing has begun.
    private let closedError: @Sendable () -> EventLogError

    /// A gate whose refused operations fail with `closedError`, which names the store and what to do.
    package init(closedError: @escaping @Sendable () -> EventLogError) {
        self.closedError = closedError
    }

    /// Whether closing has begun.
    package var isClosed: Bool { state.withLock(\.isClosed) }

    /// Throws the closed error once closing has begun; waiting loops call it after each wake.
    package func checkOpen() throws(EventLogError) {
        if isClosed { throw closedError() }
    }

    /// Runs `body` as one operation: refused once closing has begun, and waited for by ``close()``.
    package func run<T>(_ body: () async throws -> T) async throws -> T {
        try state.withLock { state throws(EventLogError) in
            guard !state.isClosed else { throw closedError() }
            state.active += 1
        }
        defer {
            let drained = state.withLock { state in
                state.active -= 1
                defer { if state.active == 0 { state.drained = nil } }
                return state.active == 0 ? state.drained : nil
            }
            drained?.resume()
        }
        return try await body()
    }

    /// Begins closing: refuses new operations, calls `wake` (to end waiting ones, such as long polls), and
    /// waits until those under way have ended. Returns `false`, at once, when closing had begun already.
    package func close(wake: () -> Void) async -> Bool {
        let mustWait: Bool? = state.withLock { state in
            guard !state.isClosed else { return nil }
            state.isClosed = true
            return state.active > 0
        }
        guard let mustWait else { return false }
        wake()
        if mustWait {
            await withCheckedContinuation { continuation in
                let done = state.withLock { state in
                    guard state.active > 0 else { return true }
                    state.drained = continuation
                    return false
                }
                if done { continuation.resume() }
            }
        }
        return true
    }
}
