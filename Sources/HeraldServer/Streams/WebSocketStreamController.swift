import Foundation
import HTTPTypes
import Herald
import Hummingbird
import HummingbirdWebSocket
import NIOWebSocket
import ServiceLifecycle

/// `GET /v1/ws`: the events of the log over a WebSocket, live, and publishing over the same socket;
/// `GET /v1/ws/publish`: publishing only, with the `publish` scope.
///
/// Query `topic=PATTERN` (every event without it) and `after=SEQ` (without it, the events appended from
/// the moment the socket opens). The server sends each event as a text message `{"sequence":N,"event":{...}}`,
/// the same JSON as `GET /v1/events` lists.
///
/// A client publishes by sending one event in the structured CloudEvents JSON format as a text message. The
/// server answers with a text message holding what `POST /v1/events` answers, `{"events":[{"id","source",
/// "sequence","duplicate"}]}`, or with a problem object (`{"type","title","status","detail"}`) when the event
/// is invalid or the connection's key lacks the `publish` scope; the socket stays open either way. A client
/// may send without waiting for answers: the events that arrive while an append commits are appended together
/// in the next one, in order, and the answers come in the order of the messages. Messages larger than the
/// body limit close the socket with code 1009.
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
        group.group().add(middleware: RequiredScope(scope: .subscribe, reportsOverWebSocket: true))
            .ws(shouldUpgrade: Self.upgradeOnly) { inbound, outbound, context in
                try await serve(inbound: inbound, outbound: outbound, context: context)
            }
        group.group("publish").add(middleware: RequiredScope(scope: .publish, reportsOverWebSocket: true))
            .ws(shouldUpgrade: Self.upgradeOnly) { inbound, outbound, context in
                try await servePublishing(inbound: inbound, outbound: outbound, context: context)
            }
    }

    /// Upgrades a WebSocket request; a plain request gets `426 Upgrade Required`.
    @Sendable private static func upgradeOnly(_ request: Request, _ context: HeraldRequestContext) throws
        -> RouterShouldUpgrade
    {
        let upgrade = request.headers[.upgrade] ?? ""
        guard upgrade.lowercased().contains("websocket") else { throw ProblemDetails.webSocketUpgradeRequired() }
        return .upgrade([:])
    }

    /// Refuses a connection whose key is missing or unknown: its problem, then close code 1008. Answers whether it
    /// did.
    private func refusedKey(of context: HeraldRequestContext, on outbound: WebSocketOutboundWriter) async throws -> Bool
    {
        guard let problem = context.authenticationProblem else { return false }
        try await refuse(
            problem, closing: .policyViolation, reason: "not authorized; the problem message says why", on: outbound)
        return true
    }

    /// Sends `problem` as a message, then closes the socket with `code`, as a socket refused or ended early.
    private func refuse(
        _ problem: ProblemDetails, closing code: WebSocketErrorCode, reason: String,
        on outbound: WebSocketOutboundWriter
    ) async throws {
        try await outbound.writeTextMessage(String(decoding: problem.jsonData(), as: UTF8.self))
        try await outbound.close(code, reason: reason)
    }

    /// `/v1/ws/publish`: publishing only. The socket carries the answers and no events, and needs the
    /// `publish` scope rather than `subscribe`.
    private func servePublishing(
        inbound: WebSocketInboundStream,
        outbound: WebSocketOutboundWriter,
        context: WebSocketRouterContext<HeraldRequestContext>
    ) async throws {
        if try await refusedKey(of: context.requestContext, on: outbound) { return }
        let publisher = Publisher(context.requestContext)
        let termination = StreamTermination()
        do {
            try await withGracefulShutdownHandler {
                try await termination.cancelling {
                    try await receive(from: inbound, answeringOn: outbound, publisher: publisher)
                }
            } onGracefulShutdown: {
                termination.end(.serverShutdown)
            }
        } catch is StreamEnded {
            // The server is shutting down: WebSocket closes normally.
        }
    }

    private func serve(
        inbound: WebSocketInboundStream,
        outbound: WebSocketOutboundWriter,
        context: WebSocketRouterContext<HeraldRequestContext>
    ) async throws {
        if try await refusedKey(of: context.requestContext, on: outbound) { return }
        let parameters: StreamParameters
        do {
            parameters = try StreamParameters(request: context.request, readsLastEventID: false)
        } catch {
            return try await refuse(
                error, closing: .policyViolation, reason: "invalid query; the problem message says why", on: outbound)
        }
        let requestContext = context.requestContext
        do {
            try requestContext.topicAccess.checkSubscribe(parameters.topic)
        } catch {
            return try await refuse(
                error, closing: .policyViolation, reason: "topic not permitted; the problem message says why",
                on: outbound)
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
                return try await refuse(
                    problem, closing: .unexpectedServerError, reason: "the store failed; try again later", on: outbound)
            }
        }
        let publisher = Publisher(requestContext)
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

    /// How many messages a connection reads ahead of their answers.
    static let readAhead = 1_000

    /// Reads the client's messages and answers each, in order. Reading runs ahead of the commits (up to
    /// ``readAhead`` messages), so a client may send without waiting, and the messages that arrive while an
    /// append commits are appended together in the next one, in the order they came. When reading ends, with
    /// the client's close, a message over the limit or the end of the stream, what was read is still
    /// published, and answered while the socket takes answers.
    private func receive(
        from inbound: WebSocketInboundStream,
        answeringOn outbound: WebSocketOutboundWriter,
        publisher: Publisher
    ) async throws {
        let queue = WebSocketPublishQueue<WebSocketMessage>(capacity: Self.readAhead)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                var answering = true
                while case let messages = await queue.takeAll(), !messages.isEmpty {
                    let answers = await answers(to: messages, publisher: publisher)
                    guard answering else { continue }
                    do {
                        for answer in answers {
                            try await outbound.writeTextMessage(String(decoding: answer, as: UTF8.self))
                        }
                    } catch {
                        // The socket is closing: publish the rest of what was read, unanswered.
                        answering = false
                    }
                }
            }
            do {
                for try await message in inbound.messages(maxSize: maxMessageBytes) { await queue.push(message) }
            } catch {
                queue.finish()
                try await group.waitForAll()
                throw error
            }
            queue.finish()
            try await group.waitForAll()
        }
    }

    /// Who publishes over a connection: whether its key may publish at all, the key, and its topics.
    private struct Publisher: Sendable {
        var canPublish: Bool
        var key: APIKey?
        var access: TopicAccess

        /// What the connection's key may publish.
        init(_ context: HeraldRequestContext) {
            canPublish = context.grantedScopes.contains(.publish)
            key = context.apiKey
            access = context.topicAccess
        }
    }

    /// The answer to each message, in order: what `POST /v1/events` answers for its event, or a problem. The
    /// events admitted are appended in one batch, in order.
    private func answers(to messages: [WebSocketMessage], publisher: Publisher) async -> [Data] {
        var answers: [Data] = []
        var events: [Event] = []
        var positions: [Int] = []
        for message in messages {
            switch admit(message, publisher: publisher) {
            case .success(let event):
                positions.append(answers.count)
                events.append(event)
                answers.append(Data())
            case .failure(let problem):
                answers.append(problem.jsonData())
            }
        }
        for (position, answer) in zip(positions, await publish(events)) { answers[position] = answer }
        return answers
    }

    /// The event a message holds, if its key may publish it.
    private func admit(_ message: WebSocketMessage, publisher: Publisher) -> Result<Event, ProblemDetails> {
        guard case .text(let text) = message else {
            return .failure(
                ProblemDetails.invalidEvent(
                    "binary messages are not read; send each event as a text message holding one event in the "
                        + "structured CloudEvents JSON format"))
        }
        guard publisher.canPublish else { return .failure(ProblemDetails.publishScopeRequired()) }
        do {
            if let key = publisher.key { try rateLimits?.check(key) }
            let event = try Event.decode(json: Data(text.utf8))
            try EventsController.checkAdmission(
                [event], access: publisher.access, signatures: signatures, metrics: metrics)
            return .success(event)
        } catch let problem as ProblemDetails {
            return .failure(problem)
        } catch let error as EventDecodingError {
            return .failure(ProblemDetails.invalidEvent(error.description))
        } catch {
            return .failure(ProblemDetails.invalidEvent("\(error)"))
        }
    }

    /// Appends `events` in one batch and answers each as `POST /v1/events` would. When the store refuses one
    /// of them, each is appended alone, so that the refusal is that event's answer only; when the store fails,
    /// each gets the problem.
    private func publish(_ events: [Event]) async -> [Data] {
        guard !events.isEmpty else { return [] }
        do {
            let results = try await EventsController.append(events, to: store)
            metrics.recordPublished(results)
            return results.map { PublishedEvents(results: [$0]).jsonData() }
        } catch let problem as ProblemDetails where events.count > 1 && problem.errors != nil {
            // The store refused one event of the batch (the problem names it): each alone gets its own answer.
            var answers: [Data] = []
            for event in events { answers += await publish([event]) }
            return answers
        } catch let problem as ProblemDetails {
            return Array(repeating: problem.jsonData(), count: events.count)
        } catch {
            return Array(repeating: ProblemDetails.storeFailure("\(error)").jsonData(), count: events.count)
        }
    }
}
