import Foundation
import Synchronization

/// Wakes the tasks waiting for the store to change: every commit bumps a generation, and every waiter
/// that saw an older one returns.
///
/// Durable stores signal it on their own commits, and (PostgreSQL) on notifications from other nodes.
package final class ChangeSignal: Sendable {
    /// Creates a signal at generation 0.
    package init() {}

    private struct State {
        var generation: UInt64 = 0
        var nextWaiter: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    /// The current generation; capture it before checking for work, then wait after it.
    package var generation: UInt64 { state.withLock(\.generation) }

    /// Starts a new generation and wakes every waiter.
    package func signal() {
        let waiters = state.withLock { state in
            state.generation &+= 1
            defer { state.waiters.removeAll() }
            return state.waiters.values
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Waits until the generation is past `generation` or `deadline` passes on `clock`, whichever comes
    /// first.
    ///
    /// - Throws: `CancellationError` when the task is cancelled.
    package func wait(after generation: UInt64, until deadline: Date, clock: any WallClock) async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForSignal(after: generation) }
            group.addTask { try? await clock.sleep(until: deadline) }
            await group.next()
            group.cancelAll()
        }
        try Task.checkCancellation()
    }

    private func waitForSignal(after generation: UInt64) async {
        let id = state.withLock { state in
            state.nextWaiter &+= 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state in
                    guard state.generation == generation, !Task.isCancelled else { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
