import Herald
import Synchronization

/// One caller's append, waiting in the queue for its results.
struct AppendRequest: Sendable {
    var batch: AppendBatch
    var continuation: CheckedContinuation<[AppendResult], any Error>
}

/// The appends waiting to be committed, and whether a task is committing them.
///
/// The first append that finds no commit under way starts one; that task takes everything queued, writes
/// it in one transaction, answers each caller, and goes on while more has queued meanwhile. So under load
/// a transaction carries the appends that arrived while the previous one was syncing to the disk.
final class GroupCommitQueue: Sendable {
    /// The most events one transaction takes, so that one commit stays short; a larger batch goes alone.
    static let maximumEventsPerCommit = 4_096

    private struct State {
        var pending: [AppendRequest] = []
        var isCommitting = false
    }

    private let state = Mutex(State())

    /// Queues a request; returns `true` when the caller must start the committing task.
    func enqueue(_ request: AppendRequest) -> Bool {
        state.withLock { state in
            state.pending.append(request)
            guard !state.isCommitting else { return false }
            state.isCommitting = true
            return true
        }
    }

    /// Takes the requests for the next transaction; an empty array ends the committing task's turn.
    func next() -> [AppendRequest] {
        state.withLock { state in
            guard !state.pending.isEmpty else {
                state.isCommitting = false
                return []
            }
            var events = 0
            var count = 0
            for request in state.pending {
                if count > 0 && events + request.batch.events.count > Self.maximumEventsPerCommit { break }
                events += request.batch.events.count
                count += 1
            }
            defer { state.pending.removeFirst(count) }
            return Array(state.pending.prefix(count))
        }
    }
}

extension SQLiteEventStore {
    /// Commits queued appends until the queue is empty.
    func flushAppends() async {
        while true {
            let requests = appendQueue.next()
            if requests.isEmpty { return }
            await commit(requests)
        }
    }

    /// Commits requests in one transaction: a lone `INSERT` when that is all they need, else a transaction
    /// that checks duplicates and expectations first. When the transaction fails as a whole (a full disk,
    /// an I/O error), each request is tried again alone, so that one request cannot fail the others.
    private func commit(_ requests: [AppendRequest]) async {
        let batches = requests.map(\.batch)
        do {
            let results = try await withWriter { context in
                if let results = try await context.appendInOneStatement(batches) { return results }
                return try await inTransaction(context) { try await context.append(batches) }
            }
            for (request, result) in zip(requests, results) {
                request.continuation.resume(with: result.mapError { $0 })
            }
        } catch {
            if requests.count > 1 {
                for request in requests { await commit([request]) }
            } else {
                requests[0].continuation.resume(
                    throwing: SQLiteStorageFailure.map(error, path: path, operation: "append"))
            }
        }
    }
}
