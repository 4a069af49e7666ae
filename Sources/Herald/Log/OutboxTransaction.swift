/// A durable store's transaction in which the application writes its own rows and publishes the events they
/// cause, committed together or not at all: the transactional outbox (`SQLiteOutboxTransaction`,
/// `PostgresOutboxTransaction`).
public protocol OutboxTransaction {
    /// Publishes events in this transaction, with the semantics of ``EventLog/append(_:expecting:)``: all or
    /// none of the batch, idempotent by (`source`, `id`), scheduled when `deliverat` is later. A failed
    /// publish (a version conflict, an invalid event) writes nothing of its batch and leaves the transaction
    /// open.
    @discardableResult
    func publish(_ events: [Event], expecting expectation: StreamExpectation?) async throws -> [AppendResult]
}

extension OutboxTransaction {
    /// Publishes one event in this transaction; see ``publish(_:expecting:)``.
    @discardableResult
    public func publish(_ event: Event) async throws -> AppendResult {
        guard let result = try await publish([event], expecting: nil).first else {
            throw EventLogError(.storage, "the store answered the publish of one event with no result; retry it")
        }
        return result
    }
}
