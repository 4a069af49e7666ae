import Foundation
import HTTPTypes
import Herald
import Hummingbird
import NIOCore
import ServiceLifecycle

/// The `/v1/groups` routes: consumer groups over HTTP.
///
/// - `PUT /v1/groups/{name}` creates a group from a ``GroupSettingsRequest``: `201` with the group when
///   new, `200` when it exists with the same settings, `409` naming the settings that differ otherwise.
/// - `GET /v1/groups` lists them (`{"groups":[...]}`), `GET /v1/groups/{name}` shows one
///   (``GroupResource``), `DELETE /v1/groups/{name}` deletes one with its state (`204`).
/// - `POST /v1/groups/{name}/poll` leases deliveries (``PollRequest``), answering
///   `{"deliveries":[{"delivery_id":"...","attempt":1,"sequence":N,"event":{...}}]}` as soon as at least
///   one is available or the wait ends (then empty). A graceful shutdown ends a waiting poll early, empty.
///   With `"ack":[ids]` it first acknowledges those, in the same commit as its leases, and answers their
///   ``SettleResults`` as `"acks"` beside the deliveries.
/// - `POST /v1/groups/{name}/ack` and `/nack` settle deliveries (``SettleRequest``), answering with
///   ``SettleResults``.
/// - `POST /v1/groups/{name}/seek` (``SeekRequest``) moves the group to a position and ends its deliveries,
///   answering `{"group":{...},"position":N}`, the sequence it now reads after.
/// - `GET /v1/groups/{name}/dead-letters?limit=N` (1-1000, default 100) lists dead letters, oldest first:
///   `{"dead_letters":[{"sequence":N,"attempts":N,"last_error":"..."|null,"event":{...}}]}`;
///   `POST /v1/groups/{name}/dead-letters/requeue` (``RequeueRequest``) answers `{"requeued":N}`.
///
/// A name breaking the naming rule gets `400`, an unknown group `404`; bodies are read by
/// ``JSONRequestReader``. Scopes are the authentication middleware's business; topics are checked here
/// (``TopicAccess``): a key whose `subscribe` scope is limited lists, shows, polls, settles and reads the dead
/// letters of only the groups whose topic its patterns cover, and one whose `admin` scope is limited creates,
/// deletes, seeks and requeues only those; others get `403`.
public struct GroupsController: Sendable {
    /// The `limit` of a dead-letter listing that gives none.
    public static let defaultDeadLetterLimit = 100
    /// The largest `limit` of a dead-letter listing.
    public static let maximumDeadLetterLimit = 1_000

    let store: any EventLog & ConsumerGroupStore
    let reader: JSONRequestReader
    let metrics: ServerMetrics

    /// Creates the routes over `store`, refusing request bodies larger than `maxBodyBytes` and counting
    /// deliveries in `metrics`.
    public init(store: any EventLog & ConsumerGroupStore, maxBodyBytes: Int, metrics: ServerMetrics = ServerMetrics()) {
        self.metrics = metrics
        self.store = store
        self.reader = JSONRequestReader(maxBodyBytes: maxBodyBytes)
    }

    /// Adds the routes to `group`, which should be at `/v1/groups`.
    public func addRoutes(to group: RouterGroup<HeraldRequestContext>) {
        group.on(method: .get, scope: .subscribe) { _, context in try await list(access: context.topicAccess) }
        group.on(":name", method: .put, scope: .admin) { request, context in
            try await create(try name(context), request, access: context.topicAccess)
        }
        group.on(":name", method: .get, scope: .subscribe) { _, context in
            try await show(try await authorized(context, for: .subscribe))
        }
        group.on(":name", method: .delete, scope: .admin) { _, context in
            try await delete(try await authorized(context, for: .admin))
        }
        group.on(":name/poll", method: .post, scope: .subscribe) { request, context in
            try await poll(try await authorized(context, for: .subscribe), request)
        }
        group.on(":name/seek", method: .post, scope: .admin) { request, context in
            try await seek(try await authorized(context, for: .admin), request)
        }
        group.on(":name/ack", method: .post, scope: .subscribe) { request, context in
            try await ack(try await authorized(context, for: .subscribe), request)
        }
        group.on(":name/nack", method: .post, scope: .subscribe) { request, context in
            try await nack(try await authorized(context, for: .subscribe), request)
        }
        group.on(":name/dead-letters", method: .get, scope: .subscribe) { request, context in
            try await deadLetters(try await authorized(context, for: .subscribe), request)
        }
        group.on(":name/dead-letters/requeue", method: .post, scope: .admin) { request, context in
            try await requeue(try await authorized(context, for: .admin), request)
        }
    }

    // MARK: Routes

    func list(access: TopicAccess = .unrestricted) async throws -> Response {
        let groups = try await storeCall(group: nil) { try await store.groups() }.filter {
            access.permits(.subscribe, pattern: $0.configuration.topic)
        }
        return Response.json(.ok, EventCarryingJSON.encode(["groups": groups.map(GroupResource.init)]))
    }

    func create(_ name: String, _ request: Request, access: TopicAccess = .unrestricted) async throws -> Response {
        let settings = try await reader.read(
            GroupSettingsRequest.self, from: request, fields: GroupSettingsRequest.CodingKeys.allCases.map(\.rawValue),
            whenEmpty: nil, example: GroupSettingsRequest.example)
        let configuration = try settings.configuration(name: name)
        try access.checkGroupCreation(topic: configuration.topic)
        let created: Bool
        do {
            created = try await storeCall(group: name) { try await store.createGroup(configuration) }
        } catch let problem as ProblemDetails where problem.statusCode == 409 {
            throw try await conflict(configuration, fallback: problem, access: access)
        }
        let info =
            try await storeCall(group: name) { try await store.groupInfo(named: name) }
            ?? ConsumerGroupInfo(configuration: configuration, lag: 0, inFlight: 0, deadLetters: 0)
        return Response.json(created ? .created : .ok, EventCarryingJSON.encode(GroupResource(info)))
    }

    func show(_ name: String) async throws -> Response {
        guard let info = try await storeCall(group: name, { try await store.groupInfo(named: name) }) else {
            throw ProblemDetails.groupNotFound(name)
        }
        return Response.json(.ok, EventCarryingJSON.encode(GroupResource(info)))
    }

    func delete(_ name: String) async throws -> Response {
        guard try await storeCall(group: name, { try await store.deleteGroup(named: name) }) else {
            throw ProblemDetails.groupNotFound(name)
        }
        return Response(status: .noContent)
    }

    func poll(_ name: String, _ request: Request) async throws -> Response {
        let body =
            try await reader.members(
                of: request, fields: PollRequest.CodingKeys.allCases.map(\.rawValue), example: PollRequest.example
            ).map { members throws(ProblemDetails) in try PollRequest(members: members) } ?? PollRequest()
        let (max, wait) = try body.checked()
        let acknowledging = try body.checkedAcknowledgements()
        var acknowledged: Set<String> = []
        let deliveries: [Delivery]
        if let acknowledging, !acknowledging.isEmpty {
            // Settle at once, then wait without the acknowledgements: a shutdown that ends the wait must not
            // lose the answer about them.
            let result = try await storeCall(group: name) {
                try await store.poll(group: name, max: max, wait: .zero, acknowledging: acknowledging)
            }
            acknowledged = result.acknowledged
            deliveries =
                result.deliveries.isEmpty && wait > .zero
                ? try await leases(name, max: max, wait: wait) : result.deliveries
        } else {
            deliveries = try await leases(name, max: max, wait: wait)
        }
        metrics.recordGroupDeliveries(deliveries.count)
        let acks = acknowledging.map { SettleResults(ids: $0, current: acknowledged, outcome: "acked") }
        return Response.json(.ok, EventCarryingJSON.pollAnswer(deliveries, acks: acks))
    }

    /// Polls, waiting up to `wait`; a graceful shutdown does not wait for long polls: they end early, empty,
    /// like a wait that ran out.
    private func leases(_ name: String, max: Int, wait: Duration) async throws -> [Delivery] {
        do {
            return try await cancelWhenGracefulShutdown {
                try await storeCall(group: name) { try await store.poll(group: name, max: max, wait: wait) }
            }
        } catch is CancellationError {
            return []
        }
    }

    func seek(_ name: String, _ request: Request) async throws -> Response {
        let body = try await reader.read(
            SeekRequest.self, from: request, fields: SeekRequest.CodingKeys.allCases.map(\.rawValue), whenEmpty: nil,
            example: SeekRequest.example)
        let position = try body.checked()
        let cursor = try await storeCall(group: name) { try await store.seek(group: name, to: position) }
        guard let info = try await storeCall(group: name, { try await store.groupInfo(named: name) }) else {
            throw ProblemDetails.groupNotFound(name)
        }
        return Response.json(.ok, EventCarryingJSON.encode(SeekResult(position: cursor, group: GroupResource(info))))
    }

    func ack(_ name: String, _ request: Request) async throws -> Response {
        let body = try await reader.read(
            SettleRequest.self, from: request, fields: SettleRequest.ackFields, whenEmpty: nil,
            example: SettleRequest.ackExample)
        let ids = try body.checkedIDs()
        let acked = try await storeCall(group: name) { try await store.ackReturningIDs(group: name, deliveryIDs: ids) }
        return Response.json(.ok, SettleResults(ids: ids, current: acked, outcome: "acked").jsonData)
    }

    func nack(_ name: String, _ request: Request) async throws -> Response {
        let body = try await reader.read(
            SettleRequest.self, from: request, fields: SettleRequest.nackFields, whenEmpty: nil,
            example: SettleRequest.nackExample)
        let ids = try body.checkedIDs()
        let delay = try body.checkedDelay()
        let error = try body.checkedError()
        let nacked = try await storeCall(group: name) {
            try await store.nackReturningIDs(group: name, deliveryIDs: ids, delay: delay, error: error)
        }
        return Response.json(.ok, SettleResults(ids: ids, current: nacked, outcome: "nacked").jsonData)
    }

    func deadLetters(_ name: String, _ request: Request) async throws -> Response {
        let limit = try Self.limit(request.uri.queryParameters["limit"])
        let letters = try await storeCall(group: name) { try await store.deadLetters(group: name, limit: limit) }
        let items = letters.map { letter in
            EventCarryingJSON.object(
                DeadLetterFields(
                    sequence: letter.stored.sequence, attempts: letter.attempts, lastError: letter.lastError),
                event: letter.stored.event)
        }
        return Response.json(.ok, EventCarryingJSON.list("dead_letters", items))
    }

    func requeue(_ name: String, _ request: Request) async throws -> Response {
        let body = try await reader.read(
            RequeueRequest.self, from: request, fields: RequeueRequest.CodingKeys.allCases.map(\.rawValue),
            whenEmpty: RequeueRequest(), example: RequeueRequest.example)
        let sequences = try body.checked()
        let count = try await storeCall(group: name) {
            try await store.requeueDeadLetters(group: name, sequences: sequences)
        }
        return Response.json(.ok, EventCarryingJSON.encode(["requeued": count]))
    }

    // MARK: Helpers

    /// The answer to a seek: the sequence the group now reads after, and the group.
    private struct SeekResult: Encodable {
        var position: Int64
        var group: GroupResource
    }

    /// The fields of a dead letter beside its event; `last_error` is `null` when there was none.
    private struct DeadLetterFields: Encodable {
        var sequence: Int64
        var attempts: Int
        var lastError: String?

        enum CodingKeys: String, CodingKey {
            case sequence, attempts, lastError = "last_error"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(sequence, forKey: .sequence)
            try container.encode(attempts, forKey: .attempts)
            try container.encode(lastError, forKey: .lastError)
        }
    }

    /// The group name in the path, once the request's key may use the group with `scope`: when the scope is
    /// limited to some topics, the group must exist (else `404`) and its topic be covered (else `403`).
    private func authorized(_ context: HeraldRequestContext, for scope: APIKey.Scope) async throws -> String {
        let name = try name(context)
        let access = context.topicAccess
        guard access.isLimited(scope) else { return name }
        guard let info = try await storeCall(group: name, { try await store.groupInfo(named: name) }) else {
            throw ProblemDetails.groupNotFound(name)
        }
        try access.checkGroup(name, topic: info.configuration.topic, scope: scope)
        return name
    }

    /// The group name in the path, checked against the naming rule.
    private func name(_ context: HeraldRequestContext) throws -> String {
        let name = try context.parameters.require("name")
        do {
            try ConsumerGroupConfiguration(name: name, topic: Self.anyTopic).validate()
        } catch {
            throw ProblemDetails.invalidGroupName(name)
        }
        return name
    }

    private static let anyTopic = try! TopicPattern(">")  // A valid literal pattern: cannot fail.

    /// Runs a store call, turning its ``EventLogError`` into the problem of the right status.
    private func storeCall<Value>(group: String?, _ body: () async throws -> Value) async throws -> Value {
        do {
            return try await body()
        } catch let error as EventLogError {
            throw ProblemDetails.storeError(error, group: group)
        }
    }

    /// The 409 problem for a group that exists with other settings, naming each that differs.
    /// The existing group's settings are named only when the key may administer its topic.
    private func conflict(
        _ requested: ConsumerGroupConfiguration, fallback: ProblemDetails, access: TopicAccess
    ) async throws -> ProblemDetails {
        let name = requested.name
        guard let existing = try await storeCall(group: name, { try await store.groupInfo(named: name) }) else {
            return fallback
        }
        try access.checkGroup(name, topic: existing.configuration.topic, scope: .admin)
        let differences = GroupResource.differences(existing: existing.configuration, requested: requested)
        return .groupConflict(
            "consumer group '\(name)' exists with other settings: \(differences.joined(separator: "; ")); "
                + "send the same settings, delete the group first (DELETE /v1/groups/\(name)), or use another name")
    }

    private static func limit(_ text: Substring?) throws(ProblemDetails) -> Int {
        guard let text else { return defaultDeadLetterLimit }
        guard let limit = Int(text), (1...maximumDeadLetterLimit).contains(limit) else {
            throw .invalidQuery(
                "query parameter 'limit' must be an integer from 1 to \(maximumDeadLetterLimit), got '\(text)'")
        }
        return limit
    }
}
