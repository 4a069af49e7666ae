import Foundation

/// The stored state of one instance of a process manager: one saga, such as the order with id `order-42`.
///
/// The ``document`` is opaque to the store: ``ProcessManagerRunner`` writes the manager's state in it together
/// with the events it has handled and the timeouts it waits for. ``version`` counts the instance's saves, from 1,
/// and is what optimistic concurrency compares.
public struct ProcessRecord: Sendable, Hashable {
    /// The process manager's name, such as `order`.
    public var process: String
    /// The correlation key of the instance, such as an order id.
    public var key: String
    /// How many times the instance has been saved: 1 after the first save.
    public var version: Int64
    /// The instance's state, as the runner encoded it.
    public var document: Data
    /// Whether the instance has finished: its manager ignores later events for the key.
    public var isFinished: Bool
    /// When the instance was last saved, by the store's clock.
    public var updatedAt: Date

    /// Creates a record.
    public init(process: String, key: String, version: Int64, document: Data, isFinished: Bool, updatedAt: Date) {
        self.process = process
        self.key = key
        self.version = version
        self.document = document
        self.isFinished = isFinished
        self.updatedAt = updatedAt
    }
}
