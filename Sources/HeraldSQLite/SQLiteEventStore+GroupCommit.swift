import Herald

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
