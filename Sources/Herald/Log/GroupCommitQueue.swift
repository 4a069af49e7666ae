import Synchronization

/// One caller's append, waiting in the queue for its results.
package struct AppendRequest: GroupCommitRequest {
    package var batch: AppendBatch
    package var continuation: CheckedContinuation<[AppendResult], any Error>

    /// Creates a request.
    package init(batch: AppendBatch, continuation: CheckedContinuation<[AppendResult], any Error>) {
        self.batch = batch
        self.continuation = continuation
    }

    /// How many events the request carries.
    package var weight: Int { batch.events.count }
}

/// The appends waiting to be committed, and whether a task is committing them.
///
/// The first append that finds no commit under way starts one; that task takes everything queued, writes
/// it in one transaction, answers each caller, and goes on while more has queued meanwhile. So under load
/// a transaction carries the appends that arrived while the previous one was syncing to the disk.
package final class GroupCommitQueue<Request: GroupCommitRequest>: Sendable {
    /// The most events one transaction takes, so that one commit stays short; a larger batch goes alone.
    package static var maximumEventsPerCommit: Int { 4_096 }

    private struct State {
        var pending: [Request] = []
        var isCommitting = false
    }

    private let state = Mutex(State())

    /// Creates an empty queue.
    package init() {}

    /// Queues a request; returns `true` when the caller must start the committing task.
    package func enqueue(_ request: Request) -> Bool {
        state.withLock { state in
            state.pending.append(request)
            guard !state.isCommitting else { return false }
            state.isCommitting = true
            return true
        }
    }

    /// Takes the requests for the next transaction; an empty array ends the committing task's turn.
    package func next() -> [Request] {
        state.withLock { state in
            guard !state.pending.isEmpty else {
                state.isCommitting = false
                return []
            }
            var events = 0
            var count = 0
            for request in state.pending {
                if count > 0 && events + request.weight > Self.maximumEventsPerCommit { break }
                events += request.weight
                count += 1
            }
            defer { state.pending.removeFirst(count) }
            return Array(state.pending.prefix(count))
        }
    }
}

/// A caller's write waiting in a ``GroupCommitQueue``: an append, a process manager's save, a poll's round.
package protocol GroupCommitRequest: Sendable {
    /// What the caller waits for.
    associatedtype Answer: Sendable
    /// How many rows the request writes, which bounds how many requests one transaction takes.
    var weight: Int { get }
    /// Where the caller waits for its answer or error.
    var continuation: CheckedContinuation<Answer, any Error> { get }
}

extension GroupCommitQueue {
    /// Queues the request `makeRequest` makes and waits for its answer; when no task is committing, starts one
    /// that runs `flush` (the store's ``drain(mapError:retriesAlone:commit:)``). Once queued, the request is
    /// carried out even if the calling task is cancelled.
    package func submit(
        _ makeRequest: (CheckedContinuation<Request.Answer, any Error>) -> Request,
        flush: @escaping @Sendable () async -> Void
    ) async throws -> Request.Answer {
        try await withCheckedThrowingContinuation { continuation in
            if enqueue(makeRequest(continuation)) { Task { await flush() } }
        }
    }

    /// Commits what is queued until the queue is empty, as the task that ``enqueue(_:)`` told to: each batch
    /// in one call of `commit`, which answers every request of it, each with its own success or failure.
    ///
    /// When a batch fails as a whole (a full disk, a lost connection), each of its requests is tried again
    /// alone, so that one cannot fail the others, unless `retriesAlone` says the error would fail each of
    /// them anyway; a request that fails alone gets the error `mapError` makes of it.
    package func drain(
        mapError: (any Error) -> any Error,
        retriesAlone: (any Error) -> Bool = { _ in true },
        commit: ([Request]) async throws -> [Result<Request.Answer, any Error>]
    ) async {
        while true {
            let requests = next()
            if requests.isEmpty { return }
            await run(requests, mapError: mapError, retriesAlone: retriesAlone, commit: commit)
        }
    }

    private func run(
        _ requests: [Request],
        mapError: (any Error) -> any Error,
        retriesAlone: (any Error) -> Bool,
        commit: ([Request]) async throws -> [Result<Request.Answer, any Error>]
    ) async {
        do {
            let answers = try await commit(requests)
            for (index, request) in requests.enumerated() {
                request.continuation.resume(
                    with: index < answers.count
                        ? answers[index]
                        : .failure(EventLogError(.storage, "the store gave no answer to this write; retry it")))
            }
        } catch {
            let mapped = mapError(error)
            if requests.count > 1, retriesAlone(mapped) {
                for request in requests {
                    await run([request], mapError: mapError, retriesAlone: retriesAlone, commit: commit)
                }
            } else {
                for request in requests { request.continuation.resume(throwing: mapped) }
            }
        }
    }
}
