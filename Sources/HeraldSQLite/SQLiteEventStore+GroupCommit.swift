import Herald

extension SQLiteEventStore {
    /// Commits queued appends until the queue is empty: a lone `INSERT` when that is all a batch needs, else a
    /// transaction that checks duplicates and expectations first (see ``GroupCommitQueue/drain(mapError:retriesAlone:commit:)``).
    func flushAppends() async {
        await appendQueue.drain(mapError: { SQLiteStorageFailure.map($0, path: path, operation: "append") }) {
            requests in
            let batches = requests.map(\.batch)
            let results = try await withWriter { context in
                if let results = try await context.appendInOneStatement(batches) { return results }
                return try await inTransaction(context) { try await context.append(batches) }
            }
            return results.map { $0.mapError { $0 } }
        }
    }
}
