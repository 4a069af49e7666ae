import PostgresNIO
import Synchronization

/// Gives up on an operation whose connection closed under it, instead of waiting for it forever.
///
/// postgres-nio 1.33.2 can leave a query waiting forever when its connection closes just as the query is
/// sent: `PostgresConnection.query` writes the query to the channel without a write promise, so a write to a
/// channel that is closing is dropped and the query's own promise is never failed. Seen when PostgreSQL
/// restarts under load: the pool hands out a connection the server has just ended, and the append on it
/// never returns. The guard runs the operation in a task of its own and checks the connection every 250 ms;
/// once the connection has been closed for another 250 ms and the operation still runs, the caller gets
/// ``EventLogError/Code/unavailable`` (which it may retry) and the operation is cancelled and left behind.
/// The pool gets its (closed) connection back as usual.
enum ClosedConnectionGuard {
    /// How often the connection is checked while the operation runs.
    static let checkInterval = Duration.milliseconds(250)

    /// Runs `body` on `connection`, failing with ``EventLogError/Code/unavailable`` if the connection closes
    /// while `body` runs and `body` does not end by itself soon after.
    static func run<T: Sendable>(
        on connection: PostgresConnection,
        url: PostgresURL,
        operation: String,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let outcome = Outcome<T>()
        let work = Task {
            do {
                outcome.finish(.success(try await body(connection)))
            } catch {
                outcome.finish(.failure(error))
            }
        }
        return try await withTaskCancellationHandler {
            try await withThrowingTaskGroup(of: T.self) { group in
                group.addTask { try await outcome.value() }
                group.addTask {
                    while !connection.isClosed { try await Task.sleep(for: checkInterval) }
                    // A query on a closed connection normally fails at once; give it the chance.
                    try await Task.sleep(for: checkInterval)
                    throw PostgresStorageFailure.unavailable(
                        url: url, operation: operation, reason: "the connection closed under the operation")
                }
                defer { group.cancelAll() }
                do {
                    return try await group.next()!
                } catch {
                    work.cancel()
                    throw error
                }
            }
        } onCancel: {
            work.cancel()
        }
    }

    /// The result of the operation's task, for one waiter that may stop waiting (on cancellation).
    private final class Outcome<T: Sendable>: Sendable {
        private struct State {
            var result: Result<T, any Error>?
            var waiter: CheckedContinuation<T, any Error>?
        }

        private let state = Mutex(State())

        func finish(_ result: Result<T, any Error>) {
            let waiter = state.withLock { state in
                state.result = result
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(with: result)
        }

        func value() async throws -> T {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    let ready: Result<T, any Error>? = state.withLock { state in
                        if let result = state.result { return result }
                        if Task.isCancelled { return .failure(CancellationError()) }
                        state.waiter = continuation
                        return nil
                    }
                    if let ready { continuation.resume(with: ready) }
                }
            } onCancel: {
                let waiter = state.withLock { state in
                    defer { state.waiter = nil }
                    return state.waiter
                }
                waiter?.resume(throwing: CancellationError())
            }
        }
    }
}
