/// A store that appends events and acknowledges the delivery that caused them in one transaction: the
/// consume-transform-produce step of a consumer, so that a crash between the two can neither lose the events
/// nor store them twice. `InMemoryEventStore`, `SQLiteEventStore` and `PostgresEventStore` are.
public protocol AcknowledgingEventLog: EventLog, ConsumerGroupStore {
    /// Appends `events` (as ``EventLog/append(_:expecting:)`` does, without a stream expectation) and
    /// acknowledges the delivery `deliveryID` of `group`, both or neither.
    ///
    /// - Returns: The events' results; `nil` when the delivery is no longer current (its lease ran out, it was
    ///   settled, or a seek ended it): then nothing is appended, as another consumer may handle the event.
    /// - Throws: what ``EventLog/append(_:expecting:)`` throws (nothing is stored or acknowledged then);
    ///   ``EventLogError/Code/groupNotFound``.
    func append(_ events: [Event], acknowledging deliveryID: String, of group: String) async throws -> [AppendResult]?
}
