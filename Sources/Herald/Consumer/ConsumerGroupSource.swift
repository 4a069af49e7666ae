/// A consumer group of a local store (memory, SQLite, PostgreSQL) as a ``DeliverySource``: created when
/// missing, and publishing handlers' events to the same store.
public struct ConsumerGroupSource: DeliverySource {
    /// The store the group lives in and handlers' events are appended to.
    public let store: any EventLog & ConsumerGroupStore
    /// The group's settings, used to create it when missing.
    public let configuration: ConsumerGroupConfiguration

    /// Creates a source for the group `configuration` names in `store`.
    public init(store: any EventLog & ConsumerGroupStore, configuration: ConsumerGroupConfiguration) {
        self.store = store
        self.configuration = configuration
    }

    public var groupName: String { configuration.name }

    /// Creates the group when missing; returns its `maxAttempts`.
    ///
    /// - Throws: ``EventLogError`` with ``EventLogError/Code/groupConflict`` when it exists with other
    ///   settings.
    public func open() async throws -> Int? {
        _ = try await store.createGroup(configuration)
        return configuration.maxAttempts
    }

    public func poll(max: Int, wait: Duration, acknowledging: [String]) async throws -> [Delivery] {
        try await store.poll(group: configuration.name, max: max, wait: wait, acknowledging: acknowledging).deliveries
    }

    public func ack(_ deliveryIDs: [String]) async throws {
        _ = try await store.ack(group: configuration.name, deliveryIDs: deliveryIDs)
    }

    public func nack(_ deliveryIDs: [String], delay: Duration, error: String) async throws {
        _ = try await store.nack(group: configuration.name, deliveryIDs: deliveryIDs, delay: delay, error: error)
    }

    public func publish(_ events: [Event]) async throws {
        _ = try await store.append(events, expecting: nil)
    }
}
