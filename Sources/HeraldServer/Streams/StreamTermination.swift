import Synchronization

/// Ends one live stream from outside the task that writes it: when the client falls too far behind, the
/// server shuts down or the client goes away.
///
/// A stream's writes can be stuck for as long as its client does not read, so ending a stream cancels them
/// rather than waiting for them: ``cancelling(_:)`` runs the writing and cancels it the moment ``end(_:)``
/// is called. The first reason given wins.
final class StreamTermination: Sendable {
    private let reason = Mutex<StreamEndReason?>(nil)
    private let signal: AsyncStream<Void>
    private let signalContinuation: AsyncStream<Void>.Continuation

    init() {
        (signal, signalContinuation) = AsyncStream.makeStream(of: Void.self)
    }

    /// Why the stream ended, once it has.
    var endReason: StreamEndReason? { reason.withLock { $0 } }

    /// Ends the stream for `reason`, unless it has ended already.
    func end(_ reason: StreamEndReason) {
        let isFirst = self.reason.withLock { current in
            guard current == nil else { return false }
            current = reason
            return true
        }
        if isFirst { signalContinuation.finish() }
    }

    /// Runs `operation` until it returns or the stream ends, whichever comes first; call it once per stream.
    ///
    /// - Throws: ``StreamEnded`` once the stream has ended, whatever `operation` was doing (its writes are
    ///   cancelled); otherwise what `operation` throws.
    func cancelling<Value: Sendable>(_ operation: () async throws -> Value) async throws -> Value {
        try await withoutActuallyEscaping(operation) { operation in
            let transfer = OperationTransfer(operation: operation)
            return try await withThrowingTaskGroup(of: Outcome<Value>.self) { group in
                group.addTask { .returned(try await transfer.operation()) }
                group.addTask {
                    for await _ in self.signal {}
                    return .ended
                }
                defer { group.cancelAll() }
                do {
                    // The signal task returns `.ended` at the latest when the group is cancelled, so `next()`
                    // gives an outcome before the group runs out of tasks.
                    if case .returned(let value) = try await group.next() {
                        return value
                    }
                } catch {
                    guard endReason != nil else { throw error }
                }
                throw StreamEnded(reason: endReason ?? .serverShutdown)
            }
        }
    }

    private enum Outcome<Value: Sendable>: Sendable {
        case returned(Value)
        case ended
    }

    /// Carries the non-escaping operation into the child task that runs it.
    ///
    /// `@unchecked Sendable` is sound here: the closure is called by exactly one child task, while the task
    /// that made it is suspended in ``cancelling(_:)``'s task group, which does not return before that child
    /// has finished. So the closure and whatever it captures (such as an `inout` response writer) are never
    /// used by two tasks at once, nor after `withoutActuallyEscaping` ends.
    private struct OperationTransfer<Value>: @unchecked Sendable {
        let operation: () async throws -> Value
    }
}
