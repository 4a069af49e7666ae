import Foundation
import Herald
import NIOHTTP1

/// Consumer groups over HTTP: `/v1/groups`.
extension HeraldClient {
    /// Creates a consumer group (`PUT /v1/groups/{name}`), or confirms that it exists with these settings.
    ///
    /// - Throws: ``HeraldClientError``: a problem with status 409, naming the settings that differ, when
    ///   the group exists with other settings.
    @discardableResult
    public func createGroup(_ configuration: ConsumerGroupConfiguration) async throws -> GroupCreation {
        let body = GroupSettingsBody(
            topic: configuration.topic.text, start: configuration.start.text,
            maxAttempts: configuration.maxAttempts,
            ackTimeoutMilliseconds: Self.milliseconds(configuration.ackTimeout), ordered: configuration.ordered)
        let response = try await send(
            .PUT, path: "/v1/groups/\(Self.percentEncoded(configuration.name))", contentType: "application/json",
            body: try Self.json(body))
        return response.status == 201 ? .created : .alreadyExists
    }

    /// Every consumer group with its counts (`GET /v1/groups`).
    public func groups() async throws -> [ConsumerGroupStatus] {
        let response = try await send(.GET, path: "/v1/groups")
        return try response.list("groups").map { try ConsumerGroupStatus(json: $0) }
    }

    /// One consumer group with its counts (`GET /v1/groups/{name}`).
    ///
    /// - Throws: ``HeraldClientError``, a problem with status 404 when there is no such group.
    public func group(named name: String) async throws -> ConsumerGroupStatus {
        let response = try await send(.GET, path: "/v1/groups/\(Self.percentEncoded(name))")
        return try ConsumerGroupStatus(json: response.json, name: name)
    }

    /// Deletes a consumer group, with its deliveries and dead letters (`DELETE /v1/groups/{name}`).
    public func deleteGroup(named name: String) async throws {
        try await send(.DELETE, path: "/v1/groups/\(Self.percentEncoded(name))")
    }

    /// Leases up to `max` events to this consumer (`POST /v1/groups/{name}/poll`), returning as soon as
    /// one is available or after `wait` with none.
    ///
    /// Acknowledge each delivery with ``ack(group:deliveryIDs:)`` before its lease (the group's ack
    /// timeout) runs out, or it is delivered again.
    public func poll(group name: String, max: Int = 100, wait: Duration = .seconds(5)) async throws -> [Delivery] {
        try await poll(group: name, max: max, wait: wait, acknowledging: []).deliveries
    }

    /// Acknowledges `acknowledging`, then leases up to `max` events (`POST /v1/groups/{name}/poll` with
    /// `ack`): a steady consumer settles one batch and takes the next in one round trip, and the server
    /// makes both in one commit. The acknowledgements are made, and answered, also when no event comes.
    ///
    /// - Returns: The deliveries, and how the acknowledgements went (all settled when none were given).
    public func poll(group name: String, max: Int = 100, wait: Duration = .seconds(5), acknowledging: [String])
        async throws -> (deliveries: [Delivery], acknowledged: SettleResult)
    {
        let body = PollBody(
            max: max, waitMilliseconds: Self.milliseconds(wait), ack: acknowledging.isEmpty ? nil : acknowledging)
        let response = try await send(
            .POST, path: "/v1/groups/\(Self.percentEncoded(name))/poll", contentType: "application/json",
            body: try Self.json(body), extraTime: wait)
        let deliveries = try response.list("deliveries").map { entry in
            Delivery(
                id: try entry.member("delivery_id").string(),
                attempt: try entry.member("attempt").int(),
                stored: try entry.storedEvent())
        }
        let acks = try response.json.optionalMember("acks")
        let acknowledged =
            try acks.map { try SettleResult(json: $0, deliveryIDs: acknowledging) }
            ?? SettleResult(settled: 0, unknownDeliveryIDs: [])
        return (deliveries, acknowledged)
    }

    /// Moves the group to `position` (`POST /v1/groups/{name}/seek`), as if it were created there now, and
    /// ends its deliveries: leased ones and redeliveries waiting. Events after the position are delivered
    /// again (a replay) or skipped (before it). Dead letters stay. Needs the `admin` scope.
    ///
    /// - Returns: The sequence the group now reads after.
    @discardableResult
    public func seek(group name: String, to position: ConsumerGroupConfiguration.StartPosition) async throws -> Int64 {
        let response = try await send(
            .POST, path: "/v1/groups/\(Self.percentEncoded(name))/seek", contentType: "application/json",
            body: try Self.json(["to": position.text]))
        return Int64(try response.json.member("position").int())
    }

    /// Acknowledges deliveries: their events are done for this group (`POST /v1/groups/{name}/ack`).
    ///
    /// - Returns: How many were settled, and the IDs that named no current delivery (their lease ran out
    ///   and the event is delivered again, or they were settled before).
    @discardableResult
    public func ack(group name: String, deliveryIDs: [String]) async throws -> SettleResult {
        let response = try await send(
            .POST, path: "/v1/groups/\(Self.percentEncoded(name))/ack", contentType: "application/json",
            body: try Self.json(AckBody(deliveryIDs: deliveryIDs)))
        return try SettleResult(json: response.json, deliveryIDs: deliveryIDs)
    }

    /// Negatively acknowledges deliveries (`POST /v1/groups/{name}/nack`): each is delivered again after
    /// `delay`, or dead-lettered after its last attempt, with `error` recorded.
    ///
    /// - Returns: How many were settled, and the IDs that named no current delivery.
    @discardableResult
    public func nack(
        group name: String, deliveryIDs: [String], delay: Duration = .zero, error: String? = nil
    ) async throws -> SettleResult {
        let body = NackBody(deliveryIDs: deliveryIDs, delayMilliseconds: Self.milliseconds(delay), error: error)
        let response = try await send(
            .POST, path: "/v1/groups/\(Self.percentEncoded(name))/nack", contentType: "application/json",
            body: try Self.json(body))
        return try SettleResult(json: response.json, deliveryIDs: deliveryIDs)
    }

    /// The events the group gave up on, oldest first (`GET /v1/groups/{name}/dead-letters`): at most
    /// `limit` (the server's default is 100, its maximum 1000).
    public func deadLetters(group name: String, limit: Int? = nil) async throws -> [DeadLetteredEvent] {
        let response = try await send(
            .GET, path: "/v1/groups/\(Self.percentEncoded(name))/dead-letters",
            query: [("limit", limit.map(String.init))])
        return try response.list("dead_letters").map { entry in
            DeadLetteredEvent(
                stored: try entry.storedEvent(),
                attempts: try entry.optionalMember("attempts")?.int() ?? 0,
                lastError: try entry.optionalMember("last_error")?.string())
        }
    }

    /// Moves dead letters back to be delivered again (`POST /v1/groups/{name}/dead-letters/requeue`):
    /// those with these sequences, or all of them when `sequences` is empty.
    ///
    /// - Returns: How many were requeued, when the server says.
    @discardableResult
    public func requeueDeadLetters(group name: String, sequences: [Int64] = []) async throws -> Int? {
        let response = try await send(
            .POST, path: "/v1/groups/\(Self.percentEncoded(name))/dead-letters/requeue",
            contentType: "application/json", body: try Self.json(RequeueBody(sequences: sequences)))
        return try response.json.optionalMember("requeued")?.int()
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }

    static func json(_ body: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(body)
    }
}

/// The body of `PUT /v1/groups/{name}`.
private struct GroupSettingsBody: Encodable {
    var topic: String
    var start: String
    var maxAttempts: Int
    var ackTimeoutMilliseconds: Int64
    var ordered: Bool

    enum CodingKeys: String, CodingKey {
        case topic, start, maxAttempts = "max_attempts", ackTimeoutMilliseconds = "ack_timeout_ms", ordered
    }
}

/// The body of a poll.
private struct PollBody: Encodable {
    var max: Int
    var waitMilliseconds: Int64
    var ack: [String]?

    enum CodingKeys: String, CodingKey {
        case max, waitMilliseconds = "wait_ms", ack
    }
}

/// The body of an ack.
private struct AckBody: Encodable {
    var deliveryIDs: [String]

    enum CodingKeys: String, CodingKey {
        case deliveryIDs = "delivery_ids"
    }
}

/// The body of a nack.
private struct NackBody: Encodable {
    var deliveryIDs: [String]
    var delayMilliseconds: Int64
    var error: String?

    enum CodingKeys: String, CodingKey {
        case deliveryIDs = "delivery_ids", delayMilliseconds = "delay_ms", error
    }
}

/// The body of a dead-letter requeue.
private struct RequeueBody: Encodable {
    var sequences: [Int64]
}
