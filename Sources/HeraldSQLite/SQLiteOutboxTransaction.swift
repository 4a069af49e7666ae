import Herald
import SQLiteNIO

/// A transaction on the store's database in which you write your own tables and publish events: both
/// are committed together or not at all (a transactional outbox).
///
/// You get one from ``SQLiteEventStore/transaction(_:)``; it is valid only inside that call's body.
/// Published events get their sequences at once but become visible to readers, followers and consumer
/// groups only when the transaction commits.
public final class SQLiteOutboxTransaction: OutboxTransaction {
    private let context: WriteContext
    private let path: String
    fileprivate var isFinished = false
    /// Why the transaction must not commit: a failed publish whose writes could not be undone.
    fileprivate var damage: EventLogError?

    fileprivate init(context: WriteContext, path: String) {
        self.context = context
        self.path = path
    }

    /// Runs one SQL statement of yours, with `?` placeholders bound to `bindings` in order.
    ///
    /// - Throws: SQLiteNIO's `SQLiteError` as SQLite reports it (a constraint violation, a syntax error);
    ///   the transaction stays open, so you may handle it and go on, or throw it to roll back.
    public func execute(_ sql: String, _ bindings: [SQLiteData] = []) async throws {
        try checkActive()
        try await context.query(sql, bindings)
    }

    /// Runs one SQL query of yours and returns its rows; it sees this transaction's writes.
    public func query(_ sql: String, _ bindings: [SQLiteData] = []) async throws -> [SQLiteRow] {
        try checkActive()
        return try await context.query(sql, bindings)
    }

    /// Publishes events in this transaction, with the semantics of ``EventLog/append(_:expecting:)``:
    /// all or none of the batch, idempotent by (`source`, `id`), scheduled when `deliverat` is later.
    ///
    /// A failed publish (a version conflict, an invalid event) writes nothing of its batch and leaves the
    /// transaction open.
    @discardableResult
    public func publish(_ events: [Event], expecting expectation: StreamExpectation? = nil) async throws
        -> [AppendResult]
    {
        try checkActive()
        try AppendBatch.validate(events, expecting: expectation)
        guard !events.isEmpty else { return [] }
        try await context.query("SAVEPOINT herald_publish")
        let result: Result<[AppendResult], EventLogError>
        do {
            result = try await context.append([AppendBatch(events: events, expectation: expectation)])[0]
        } catch {
            // In a task of its own, because in a cancelled task every statement fails before it runs (NIO's thread
            // pool checks for cancellation), which would leave the batch's writes in the transaction.
            let connection = context.connection
            let undone = await Task { () -> Bool in
                do {
                    _ = try await connection.query("ROLLBACK TO herald_publish")
                    _ = try await connection.query("RELEASE herald_publish")
                    return true
                } catch {
                    return false
                }
            }.value
            let failure = SQLiteStorageFailure.map(error, path: path, operation: "publish")
            guard undone else {
                // Part of the batch may be written: the transaction must not commit, whatever the body does next.
                let damage = EventLogError(
                    .storage,
                    "a publish failed (\(failure)) and its writes could not be undone; the whole transaction is "
                        + "rolled back")
                self.damage = damage
                throw damage
            }
            throw failure
        }
        try await context.query("RELEASE herald_publish")
        return try result.get()
    }

    private func checkActive() throws(EventLogError) {
        guard !isFinished else {
            throw EventLogError(
                .invalidArgument,
                "this outbox transaction has ended; use the transaction only inside the body given to "
                    + "SQLiteEventStore.transaction(_:)"
            )
        }
    }
}

@available(*, unavailable)
extension SQLiteOutboxTransaction: Sendable {}

extension SQLiteEventStore {
    /// Runs `body` in one SQLite transaction in which it writes your tables and publishes events; commits
    /// both when `body` returns, and rolls both back when it throws.
    ///
    /// Transactions and appends run one at a time on the write connection, so keep `body` short and do
    /// not wait in it for anything else. Calls to this store's own writing methods (``append(_:expecting:)``,
    /// polls, acks) from inside `body` throw ``EventLogError/Code/invalidArgument`` rather than wait for
    /// the transaction forever; publish with ``SQLiteOutboxTransaction/publish(_:expecting:)`` instead.
    /// Reads from `body` see only committed events.
    ///
    /// - Returns: What `body` returned, once the transaction has committed (durably, with
    ///   ``Synchronous/full``).
    /// - Throws: What `body` threw, after rolling back; ``EventLogError`` when beginning or committing
    ///   fails (then nothing was committed).
    public func transaction<T>(_ body: (SQLiteOutboxTransaction) async throws -> T) async throws -> T {
        try await operation("transaction", mapsErrors: false) {
            try await writeTransaction { context in
                let transaction = SQLiteOutboxTransaction(context: context, path: path)
                defer { transaction.isFinished = true }
                let result = try await OutboxScope.$store.withValue(ObjectIdentifier(self)) {
                    try await body(transaction)
                }
                // A body that caught a publish's failure may return; a batch half written still rolls back.
                if let damage = transaction.damage { throw damage }
                return result
            }
        }
    }
}
