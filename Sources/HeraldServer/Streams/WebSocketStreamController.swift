import Foundation
import HTTPTypes
import Herald
import Hummingbird
import HummingbirdWebSocket
import NIOWebSocket
import ServiceLifecycle

/// `GET /v1/ws`: the events of the log over a WebSocket, live, and publishing over the same socket.
///
/// Query `topic=PATTERN` (every event without it) and `after=SEQ` (without it, the events appended from
/// the moment the socket opens). The server sends each event as a text message `{"sequence":N,"event":{...}}`,
/// the same JSON as `GET /v1/events` lists.
///
/// A client publishes by sending one event in the structured CloudEvents JSON format as a text message. The
/// server answers with a text message holding what `POST /v1/events` answers, `{"events":[{"id","source",
/// "sequence","duplicate"}]}`, or with a problem object (`{"type","title","status","detail"}`) when the event
/// is invalid or the connection's key lacks the `publish` scope; the socket stays open either way. Messages
/// larger than the body limit close the socket with code 1009.
///
/// A client that falls more than the hub's buffer limit behind is disconnected with close code 1008 (policy
/// violation); it can reconnect with `after` set to the last sequence it received and lose nothing.
public struct WebSocketStreamController: Sendable {
    let hub: EventStreamHub
    let store: any EventLog
    let maxMessageBytes: Int
    let metrics: ServerMetrics
    let signatures: SignatureRequirement
    let rateLimits: RateLimitMiddleware?

    /// Creates the route over `hub`, publishing into `store`, reading messages of up to `maxMessageBytes`,
    /// counting what is published in `metrics`, requiring the signatures `signatures` asks for, and holding each
    /// published message to the key's rate limit in `rateLimits`.
    ///
    /// The connection's key must cover the `topic` asked for with its `subscribe` topics, and each published
    /// event's type with its `publish` topics (``TopicAccess``); a refused subscription gets the problem as a
    /// message and close code 1008, a refused publish gets the problem as the answer.
    public init(
        hub: EventStreamHub, store: any EventLog, maxMessageBytes: Int, metrics: ServerMetrics = ServerMetrics(),
        signatures: SignatureRequirement = SignatureRequirement(), rateLimits: RateLimitMiddleware? = nil
    ) {
        self.hub = hub
        self.store = store
        self.maxMessageBytes = maxMessageBytes
        self.metrics = metrics
        self.signatures = signatures
        self.rateLimits = rateLimits
    }

    /// Adds the WebSocket route to `group`, which should be `/v1/ws`; the server must be built with
    /// `.http1WebSocketUpgrade(webSocketRouter:)` over the same router.
    ///
    /// A plain `GET` without the WebSocket upgrade gets `426 Upgrade Required`. Invalid query parameters are
    /// reported after the upgrade, as a problem message (status 400) followed by close code 1008: a refused
    /// upgrade could only be an empty `400` (what hummingbird-websocket answers), which browsers do not even
    /// show to scripts.
    public func addRoutes(to group: RouterGroup<HeraldRequestContext>) {
        group.group().add(middleware: RequiredScope(scope: .subscribe, reportsOverWebSocket: true)).ws { request, _ in
            let upgrade = request.headers[.upgrade] ?? ""
            guard upgrade.lowercased().contains("websocket") else { throw ProblemDetails.webSocketUpgradeRequired() }
            return .upgrade([:])
        } onUpgrade: { inbound, outbound, context in
            try await serve(inbound: inbound, outbound: outbound, context: context)
        }
    }

    private func serve(
        inbound: WebSocketInboundStream,
        outbound: WebSocketOutboundWriter,
        context: WebSocketRouterContext<HeraldRequestContext>
    ) async throws {
        if let problem = context.requestContext.authenticationProblem {
            try await outbound.writeTextMessage(String(decoding: problem.jsonData(), as: UTF8.self))
            try await outbound.close(.policyViolation, reason: "not authorized; the problem message says why")
            return
        }
        let parameters: StreamParameters
        do {
            parameters = try StreamParameters(request: context.request, readsLastEventID: false)
        } catch {
            try await outbound.writeTextMessage(String(decoding: error.jsonData(), as: UTF8.self))
            try await outbound.close(.policyViolation, reason: "invalid query; the problem message says why")
            return
        }
        let requestContext = context.requestContext
        do {
            try requestContext.topicAccess.checkSubscribe(parameters.topic)
        } catch {
            try await outbound.writeTextMessage(String(decoding: error.jsonData(), as: UTF8.self))
            try await outbound.close(.policyViolation, reason: "topic not permitted; the problem message says why")
            return
        }
        let after: Int64
        if let given = parameters.after {
            after = given
        } else {
            do {
                after = try await store.lastSequence()
            } catch let error as EventLogError {
                var problem = ProblemDetails.storeError(error)
                problem.detail = "cannot find the end of the event log: " + problem.detail
                try await outbound.writeTextMessage(String(decoding: problem.jsonData(), as: UTF8.self))
                try await outbound.close(.unexpectedServerError, reason: "the store failed; try again later")
                return
            }
        }
        let publisher = Publisher(
            canPublish: requestContext.grantedScopes.contains(.publish), key: requestContext.apiKey,
            access: requestContext.topicAccess)
        let termination = StreamTermination()
        do {
            try await withGracefulShutdownHandler {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        try await termination.cancelling {
                            try await sendEvents(
                                topic: parameters.topic, after: after, to: outbound, termination: termination)
                        }
                    }
                    group.addTask {
                        try await receive(from: inbound, answeringOn: outbound, publisher: publisher)
                        termination.end(.clientDisconnected)
                    }
                    defer { group.cancelAll() }
                    try await group.next()
                }
            } onGracefulShutdown: {
                termination.end(.serverShutdown)
            }
        } catch let ended as StreamEnded where ended.reason == .fellBehind {
            try await outbound.close(
                .policyViolation,
                reason: "fell more than \(hub.bufferLimit) messages behind; reconnect with after=LAST_SEQUENCE")
        } catch is StreamEnded {
            // The client left or the server is shutting down: WebSocket closes normally.
        }
    }

    private func sendEvents(
        topic: TopicPattern?,
        after: Int64,
        to outbound: WebSocketOutboundWriter,
        termination: StreamTermination
    ) async throws {
        var subscription = hub.subscribe(
            topic: topic, after: after, transport: .webSocket, termination: termination)
        defer { subscription.close() }
        while let message = try await subscription.next() {
            guard case .event(let event) = message else { continue }
            let json = StoredEventJSON.data(sequence: event.sequence, eventJSON: event.json)
            try await outbound.writeTextMessage(String(decoding: json, as: UTF8.self))
        }
    }

    private func receive(
        from inbound: WebSocketInboundStream,
        answeringOn outbound: WebSocketOutboundWriter,
        publisher: Publisher
    ) async throws {
        for try await message in inbound.messages(maxSize: maxMessageBytes) {
            let answer: Data
            switch message {
            case .text(let text):
                answer = await publish(text, publisher: publisher)
            case .binary:
                answer = ProblemDetails.invalidEvent(
                    "binary messages are not read; send each event as a text message holding one event in the "
                        + "structured CloudEvents JSON format"
                ).jsonData()
            }
            try await outbound.writeTextMessage(String(decoding: answer, as: UTF8.self))
        }
    }

    /// Who publishes over a connection: whether its key may publish at all, the key, and its topics.
    private struct Publisher: Sendable {
        var canPublish: Bool
        var key: APIKey?
        var access: TopicAccess
    }

    /// Publishes the event in `text`, answering what `POST /v1/events` would.
    private func publish(_ text: String, publisher: Publisher) async -> Data {
        guard publisher.canPublish else { return ProblemDetails.publishScopeRequired().jsonData() }
        let event: Event
        do {
            if let key = publisher.key { try rateLimits?.check(key) }
            event = try Event.decode(json: Data(text.utf8))
            try EventsController.checkAdmission(
                [event], access: publisher.access, signatures: signatures, metrics: metrics)
        } catch let problem as ProblemDetails {
            return problem.jsonData()
        } catch let error as EventDecodingError {
            return ProblemDetails.invalidEvent(error.description).jsonData()
        } catch {
            return ProblemDetails.invalidEvent("\(error)").jsonData()
        }
        do {
            let results = try await EventsController.append([event], to: store)
            metrics.recordPublished(results)
            return PublishedEvents(results: results).jsonData()
        } catch let problem as ProblemDetails {
            return problem.jsonData()
        } catch {
            return ProblemDetails.storeFailure("\(error)").jsonData()
        }
    }
}
