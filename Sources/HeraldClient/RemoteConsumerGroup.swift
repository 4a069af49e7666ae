import Herald

/// A consumer group of a remote `herald serve` as a ``DeliverySource``, so that a ``Router`` handler (a
/// ``GroupConsumer``) consumes it with the router's middleware: polls with the acknowledgements riding on
/// the next poll, negative acknowledgements for failures, and the handler's events published to the server.
///
/// ```swift
/// let orders = client.consumerGroup(ConsumerGroupConfiguration(name: "billing", topic: try TopicPattern("orders.>")))
/// let billing = try router.addHandler("billing", consuming: orders) { event, context in [] }
/// ```
///
/// - Important: The events a handler returns are published before its event is acknowledged, in two
///   requests: a crash between them delivers the event again, and a handler that returns events with
///   stable ids (derived from the event's) has them stored once, as the server ignores a repeated
///   (`source`, `id`).
public struct RemoteConsumerGroup: DeliverySource {
    /// The client the group is reached through.
    public let client: HeraldClient
    public let groupName: String
    /// The settings the group is created with when missing; `nil` to consume a group that exists.
    public let configuration: ConsumerGroupConfiguration?

    /// Creates a source for the group `groupName`, creating it with `configuration` when that is given.
    public init(client: HeraldClient, groupName: String, creating configuration: ConsumerGroupConfiguration? = nil) {
        self.client = client
        self.groupName = groupName
        self.configuration = configuration
    }

    /// Creates the group when the source has its settings (`PUT /v1/groups/{name}`), or reads them
    /// (`GET /v1/groups/{name}`); returns its `maxAttempts`.
    ///
    /// - Throws: ``HeraldClientError``: a 409 problem when the group exists with other settings, a 404
    ///   problem when it does not exist and the source cannot create it.
    public func open() async throws -> Int? {
        if let configuration {
            try await client.createGroup(configuration)
            return configuration.maxAttempts
        }
        return try await client.group(named: groupName).maxAttempts
    }

    public func poll(max: Int, wait: Duration, acknowledging: [String]) async throws -> [Delivery] {
        try await client.poll(group: groupName, max: max, wait: wait, acknowledging: acknowledging).deliveries
    }

    public func ack(_ deliveryIDs: [String]) async throws {
        try await client.ack(group: groupName, deliveryIDs: deliveryIDs)
    }

    public func nack(_ deliveryIDs: [String], delay: Duration, error: String) async throws {
        try await client.nack(group: groupName, deliveryIDs: deliveryIDs, delay: delay, error: error)
    }

    public func publish(_ events: [Event]) async throws {
        _ = try await client.publish(events)
    }
}

extension HeraldClient {
    /// The server's consumer group `configuration` names, created with those settings when missing, as a
    /// source for a ``Router`` handler.
    public func consumerGroup(_ configuration: ConsumerGroupConfiguration) -> RemoteConsumerGroup {
        RemoteConsumerGroup(client: self, groupName: configuration.name, creating: configuration)
    }

    /// The server's existing consumer group `name`, as a source for a ``Router`` handler.
    public func consumerGroup(named name: String) -> RemoteConsumerGroup {
        RemoteConsumerGroup(client: self, groupName: name)
    }
}
