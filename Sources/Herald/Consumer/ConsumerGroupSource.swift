/// A consumer group of a local store (memory, SQLite, PostgreSQL) as a ``DeliverySource``: created when
/// missing, and publishing handlers' events to the same store.
public struct ConsumerGroupSource: DeliverySource {
    /// The store the group lives in.
    public let store: any ConsumerGroupStore
    /// The log handlers' events are appended to; `nil` for a source whose handlers publish otherwise.
    private let log: (any EventLog)?
    /// The group's settings, used to create it when missing.
    public let configuration: ConsumerGroupConfiguration

    /// Creates a source for the group `configuration` names in `store`, where handlers' events go too.
    public init(store: any EventLog & ConsumerGroupStore, configuration: ConsumerGroupConfiguration) {
        self.store = store
        self.log = store
        self.configuration = configuration
    }

    /// Creates a source for a group of a store that may keep no log: its handlers return no events (a
    /// process manager's step saves its events with its state).
    package init(groups: any ConsumerGroupStore, configuration: ConsumerGroupConfiguration) {
        self.store = groups
        self.log = nil
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

    /// Publishes the events and acknowledges the delivery in one transaction when the store is an
    /// ``AcknowledgingEventLog``, as every store of Herald is.
    public func complete(_ delivery: Delivery, publishing events: [Event]) async throws -> CompletionOutcome {
        guard let log = log as? any AcknowledgingEventLog else {
            try await publish(events)
            return .published
        }
        let results = try await log.append(events, acknowledging: delivery.id, of: configuration.name)
        return results == nil ? .superseded : .acknowledged
    }

    public func publish(_ events: [Event]) async throws {
        guard let log else {
            throw EventLogError(
                .invalidArgument,
                "group '\(configuration.name)' was opened without a log, so a handler of it cannot return events")
        }
        _ = try await log.append(events, expecting: nil)
    }
}
