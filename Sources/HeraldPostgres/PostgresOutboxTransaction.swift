import Foundation
import Herald
import Logging
import PostgresNIO

/// A PostgreSQL transaction in which you write your own tables and publish events: both are committed
/// together or not at all (a transactional outbox).
///
/// You get one from ``PostgresEventStore/transaction(_:)``; it is valid only inside that call's body.
/// Published events get their sequences at once but become visible to readers, followers and consumer
/// groups on every node only when the transaction commits.
///
/// - Important: Readers on every node see events only below the oldest transaction still running
///   (``PostgresEventStore``'s order), so while this transaction is open, events that other transactions
///   commit after it began wait for it to end before anyone reads them. Keep it short.
public final class PostgresOutboxTransaction: OutboxTransaction {
    /// The transaction's connection, for your own queries: `try await transaction.connection.query(...)`.
    /// Do not commit or roll back through it; return from or throw out of the body instead.
    public let connection: PostgresConnection
    private let writer: PostgresAppendWriter
    fileprivate var isFinished = false
    /// What the transaction's publishes wrote to the log, to announce after the commit.
    fileprivate var write: PostgresLogWrite?

    fileprivate init(connection: PostgresConnection, writer: PostgresAppendWriter) {
        self.connection = connection
        self.writer = writer
    }

    /// Runs one SQL query of yours and returns its rows, collected; it sees this transaction's writes.
    ///
    /// - Throws: postgres-nio's `PSQLError` as PostgreSQL reports it (a constraint violation, a syntax
    ///   error). PostgreSQL then aborts the transaction: throw the error on to roll back.
    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try checkActive()
        var rows: [PostgresRow] = []
        for try await row in try await connection.query(query, logger: writer.logger) { rows.append(row) }
        return rows
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
        try PostgresText.checkStorable(events)
        guard !events.isEmpty else { return [] }
        // A savepoint, so that a publish failing in PostgreSQL leaves the transaction usable; a publish that
        // met another transaction storing the same key runs again from it.
        let results = try await PostgresStorageFailure.retryingUniqueViolations {
            try await connection.query("SAVEPOINT herald_publish", logger: writer.logger)
            do {
                let (results, written) = try await writer.append(
                    [AppendBatch(events: events, expectation: expectation)],
                    on: connection
                )
                try await connection.query("RELEASE SAVEPOINT herald_publish", logger: writer.logger)
                if let written {
                    let due = [write?.scheduling, written.scheduling].compactMap { $0 }.min()
                    write = PostgresLogWrite(base: written.base, scheduling: due)
                }
                return results
            } catch {
                _ = try? await connection.query("ROLLBACK TO SAVEPOINT herald_publish", logger: writer.logger)
                throw error
            }
        }
        return try results[0].get()
    }

    private func checkActive() throws(EventLogError) {
        guard !isFinished else {
            throw EventLogError(
                .invalidArgument,
                "this outbox transaction has ended; use the transaction only inside the body given to "
                    + "PostgresEventStore.transaction(_:)"
            )
        }
    }
}

@available(*, unavailable)
extension PostgresOutboxTransaction: Sendable {}

extension PostgresEventStore {
    /// Runs `body` in one PostgreSQL transaction in which it writes your tables and publishes events;
    /// commits both when `body` returns, and rolls both back when it throws.
    ///
    /// Calls to this store's ``append(_:expecting:)`` from inside `body` throw
    /// ``EventLogError/Code/invalidArgument`` rather than wait for the transaction forever; publish with
    /// ``PostgresOutboxTransaction/publish(_:expecting:)`` instead.
    ///
    /// - Returns: What `body` returned, once the transaction has committed.
    /// - Throws: What `body` threw, after rolling back; ``EventLogError`` when beginning or committing
    ///   fails (then nothing was committed, unless the connection was lost during the commit itself).
    @discardableResult
    public func transaction<T: Sendable>(_ body: (PostgresOutboxTransaction) async throws -> T) async throws -> T {
        try await operation("transaction", mapsErrors: false) {
            // The pool waits for a connection as long as the server is down: fail early instead, as the
            // other operations do.
            try await withConnection("transaction") { _ in }
            let now = clock.now
            let store = ObjectIdentifier(self)
            return try await client.withConnection { connection in
                do {
                    try await connection.query("BEGIN", logger: logger)
                } catch {
                    throw PostgresStorageFailure.map(error, url: url, operation: "beginning a transaction")
                }
                let transaction = PostgresOutboxTransaction(
                    connection: connection,
                    writer: PostgresAppendWriter(tables: tables, logger: logger, now: now)
                )
                do {
                    let value = try await PostgresOutboxScope.$store.withValue(store) { try await body(transaction) }
                    transaction.isFinished = true
                    do {
                        try await connection.query("COMMIT", logger: logger)
                    } catch {
                        throw PostgresStorageFailure.map(error, url: url, operation: "commit")
                    }
                    if let write = transaction.write { await announce(write, on: connection) }
                    return value
                } catch {
                    transaction.isFinished = true
                    _ = try? await connection.query("ROLLBACK", logger: logger)
                    throw error
                }
            }
        }
    }
}

/// Marks the tasks running the body of a store's ``PostgresEventStore/transaction(_:)``: an append through
/// the store itself from there would wait, after its commit, for that transaction to end before answering.
enum PostgresOutboxScope {
    @TaskLocal static var store: ObjectIdentifier?
}
