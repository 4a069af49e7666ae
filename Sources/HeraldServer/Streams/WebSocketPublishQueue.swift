import Synchronization

/// The messages a WebSocket client sent that are not answered yet, between the task that reads them and the
/// one that commits them.
///
/// The reader runs ahead of the commits by up to `capacity` messages, so a client may send without waiting
/// for answers; the committer takes every message waiting at once, so that they share one append. The
/// reader's wait ends when its task is cancelled; the committer's ends only with a message or ``finish()``,
/// so that every message read is published even when the connection is ending: the reader must call
/// ``finish()`` when it stops, however it stops.
final class WebSocketPublishQueue<Message: Sendable>: Sendable {
    private struct State {
        var messages: [Message] = []
        var finished = false
        /// The committer, waiting for a message.
        var taker: CheckedContinuation<Void, Never>?
        /// The reader, waiting for room.
        var pusher: CheckedContinuation<Void, Never>?

        mutating func takeTaker() -> CheckedContinuation<Void, Never>? {
            defer { taker = nil }
            return taker
        }

        mutating func takePusher() -> CheckedContinuation<Void, Never>? {
            defer { pusher = nil }
            return pusher
        }
    }

    private let state = Mutex(State())
    /// How many messages may wait before the reader waits too.
    let capacity: Int

    /// Creates an empty queue holding up to `capacity` messages.
    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Adds a message, then waits while `capacity` messages wait.
    func push(_ message: Message) async {
        let taker = state.withLock { state in
            state.messages.append(message)
            return state.takeTaker()
        }
        taker?.resume()
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let mustWait = state.withLock { state in
                    // Checked under the lock: a cancellation handler that ran before found no waiter to resume.
                    guard state.messages.count >= capacity, !state.finished, !Task.isCancelled else { return false }
                    state.pusher = continuation
                    return true
                }
                if !mustWait { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.takePusher() }?.resume()
        }
    }

    /// Says that no more messages come: ``takeAll()`` returns the rest, then nothing.
    func finish() {
        let taker = state.withLock { state in
            state.finished = true
            return state.takeTaker()
        }
        taker?.resume()
    }

    /// Takes every waiting message, in order, waiting for one while none waits; empty once the queue is
    /// finished and drained. It does not end early when its task is cancelled (see the type's summary).
    func takeAll() async -> [Message] {
        while true {
            let (taken, pusher, finished) = state.withLock {
                state -> ([Message], CheckedContinuation<Void, Never>?, Bool) in
                guard !state.messages.isEmpty else { return ([], nil, state.finished) }
                let taken = state.messages
                state.messages = []
                return (taken, state.takePusher(), false)
            }
            pusher?.resume()
            if !taken.isEmpty { return taken }
            if finished { return [] }
            await withCheckedContinuation { continuation in
                let mustWait = state.withLock { state in
                    guard state.messages.isEmpty, !state.finished else { return false }
                    state.taker = continuation
                    return true
                }
                if !mustWait { continuation.resume() }
            }
        }
    }
}
