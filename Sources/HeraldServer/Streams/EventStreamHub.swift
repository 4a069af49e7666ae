import Herald
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Follows the event log once for every live stream client (`GET /v1/stream`, `GET /v1/ws`) and hands
/// each new event to the clients whose topic matches it.
///
/// However many clients are connected, the hub reads each page of new events from the store once and
/// encodes each event once. Each client has a bounded buffer of ``bufferLimit`` messages; a client that
/// falls that far behind is disconnected (counted in `herald_stream_dropped_clients_total`) instead of
/// slowing publishers or other clients, and can reconnect to resume after the last sequence it received.
/// `herald_stream_clients` counts the connected clients; both metrics are labelled by `transport`
/// (`sse` or `ws`).
///
/// A client that starts behind the hub reads the older events from the store itself, then joins the live
/// feed; the sequences it is sent are strictly increasing, without gaps among the events matching its
/// topic.
///
/// The hub is a ServiceLifecycle `Service`: run it alongside the server. On graceful shutdown, or when its
/// task is cancelled, it ends every stream and returns. While the store is unavailable for now
/// (``EventLogError/Code/unavailable``, as while PostgreSQL restarts) the streams stay open and the hub tries
/// again after 100 ms, waiting longer, up to 2 seconds, while the outage lasts (``StoreOutageBackoff``); once
/// the store answers it goes on from where it was, so the clients lose nothing. When the store fails
/// otherwise it ends the streams it feeds (clients reconnect and resume) and tries again a second later,
/// waiting longer, up to 30 seconds, while the failures go on.
public final class EventStreamHub: Service, Sendable {
    /// How many events one read of the store fetches.
    static let pageSize = 512
    /// How long one wait for new events lasts before the hub checks again; a safety net, since appends wake
    /// it.
    static let idleCheck = Duration.seconds(30)
    /// How long the hub waits before reading again after the store failed; doubled after each failure in a
    /// row, up to ``maximumRetryDelay``.
    static let retryDelay = Duration.seconds(1)
    /// The longest wait between reads of a store that keeps failing.
    static let maximumRetryDelay = Duration.seconds(30)

    let store: any EventLog
    /// How many messages a client may fall behind before it is disconnected.
    public let bufferLimit: Int
    private let logger: Logger
    private let state = Mutex(State())
    private let droppedClients: [EventStreamTransport: Counter]
    private let connectedClients: [EventStreamTransport: Meter]
    private let deliveredEvents: [EventStreamTransport: Counter]
    private let onNewEvents: @Sendable ([StoredEvent]) -> Void

    /// Creates a hub over `store` that disconnects a client once it falls `bufferLimit` messages behind.
    ///
    /// - Parameters:
    ///   - metricsFactory: where the stream metrics go; the global metrics system by default.
    ///   - onNewEvents: called with each page of events the hub reads as they are appended (from the end of
    ///     the log at start), so that other observers of new events need not read the log again.
    public init(
        store: any EventLog,
        bufferLimit: Int,
        metricsFactory: any MetricsFactory = MetricsSystem.factory,
        logger: Logger = Logger(label: "herald.streams"),
        onNewEvents: @escaping @Sendable ([StoredEvent]) -> Void = { _ in }
    ) {
        precondition(bufferLimit >= 1, "bufferLimit must be at least 1")
        self.onNewEvents = onNewEvents
        self.store = store
        self.bufferLimit = bufferLimit
        self.logger = logger
        var dropped: [EventStreamTransport: Counter] = [:]
        var connected: [EventStreamTransport: Meter] = [:]
        var delivered: [EventStreamTransport: Counter] = [:]
        for transport in EventStreamTransport.allCases {
            let dimensions = [("transport", transport.rawValue)]
            delivered[transport] = Counter(
                label: "herald_events_delivered_total", dimensions: dimensions, factory: metricsFactory)
            dropped[transport] = Counter(
                label: "herald_stream_dropped_clients_total", dimensions: dimensions, factory: metricsFactory)
            connected[transport] = Meter(
                label: "herald_stream_clients", dimensions: dimensions, factory: metricsFactory)
        }
        self.droppedClients = dropped
        self.connectedClients = connected
        self.deliveredEvents = delivered
    }

    /// Counts one event handed to a client of `transport`, from the store or the live feed.
    func countDelivered(_ transport: EventStreamTransport) {
        deliveredEvents[transport]?.increment()
    }

    // MARK: Following the log

    /// Follows the log and feeds the connected clients until graceful shutdown or cancellation, then ends
    /// every stream.
    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { try await self.follow() }
        } catch {
            // Cancellation, from graceful shutdown or the task: the only way `follow()` ends.
        }
        let clients = state.withLock { state in
            state.phase = .finished
            defer { state.clients = [:] }
            return state.clients.values.map(\.client)
        }
        for client in clients { client.end(.serverShutdown) }
    }

    private func follow() async throws {
        var cursor: Int64?
        var retryDelay = Self.retryDelay
        var outage = StoreOutageBackoff()
        while true {
            do {
                let position: Int64
                if let cursor {
                    position = cursor
                } else {
                    position = try await start()
                }
                cursor = try await feed(after: position)
                retryDelay = Self.retryDelay
                if outage.failures > 0 {
                    logger.notice(
                        "The event store answers again; streams go on", metadata: ["failures": "\(outage.failures)"])
                    outage.reset()
                }
            } catch {
                if error is CancellationError || Task.isCancelled { throw CancellationError() }
                if StoreOutageBackoff.isOutage(error) {
                    if outage.failures == 0 {
                        logger.warning(
                            "The event store is unavailable; streams stay open and wait for it",
                            metadata: ["error": "\(error)"])
                    }
                    try await outage.wait()
                    continue
                }
                logger.error(
                    "Streams cannot follow the event log; ending the open streams and trying again",
                    metadata: ["error": "\(error)", "retry_in": "\(retryDelay)"])
                endLiveClients(.storeFailure)
                try await Task.sleep(for: retryDelay)
                retryDelay = min(retryDelay * 2, Self.maximumRetryDelay)
            }
        }
    }

    /// Takes the position to follow from: the end of the log, or earlier when a client that registered
    /// before the hub ran needs events from there.
    private func start() async throws -> Int64 {
        let last = try await store.lastSequence()
        return state.withLock { state in
            let position = min(last, state.clients.values.map(\.after).min() ?? last)
            state.position = position
            state.phase = .running
            return position
        }
    }

    /// Hands out the next page of events after `position`, or waits for one; returns the new position.
    private func feed(after position: Int64) async throws -> Int64 {
        let page = try await store.read(after: position, filter: .all, limit: Self.pageSize)
        guard page.nextAfter > position else {
            _ = try await store.waitForEvents(after: position, timeout: Self.idleCheck)
            return position
        }
        onNewEvents(page.events)
        // Encoding is the hub's main cost: skip it while no client listens.
        var encoded = state.withLock { $0.clients.isEmpty } ? nil : page.events.map(StreamedEvent.init)
        var overflowed: [StreamClient] = []
        state.withLock { state in
            if encoded == nil, !state.clients.isEmpty {
                // A client joined since the check; it expects this page from the hub.
                encoded = page.events.map(StreamedEvent.init)
            }
            let events = encoded ?? []
            for (id, live) in state.clients {
                deliver: for event in events where event.sequence > live.after {
                    if let topic = live.topic, !topic.matches(event.type) { continue }
                    switch live.client.messages.yield(.event(event)) {
                    case .enqueued:
                        continue
                    case .dropped:
                        overflowed.append(live.client)
                        state.clients[id] = nil
                        break deliver
                    case .terminated:
                        state.clients[id] = nil
                        break deliver
                    @unknown default:
                        continue
                    }
                }
            }
            state.position = page.nextAfter
        }
        for client in overflowed {
            client.end(.fellBehind)
            droppedClients[client.transport]?.increment()
            logger.notice(
                "A stream client fell behind and was disconnected; it can reconnect and resume",
                metadata: [
                    "transport": "\(client.transport.rawValue)", "buffer_limit": "\(bufferLimit)",
                ])
        }
        return page.nextAfter
    }

    private func endLiveClients(_ reason: StreamEndReason) {
        let clients = state.withLock { state in
            defer { state.clients = [:] }
            return state.clients.values.map(\.client)
        }
        for client in clients { client.end(reason) }
    }

    // MARK: Clients

    /// Opens a stream of the events after `after` whose type matches `topic` (every event when `nil`).
    ///
    /// Call ``EventStreamSubscription/close()`` when done with it. `termination` ends the stream from
    /// outside; the hub ends it too when the client falls behind or the hub stops.
    func subscribe(
        topic: TopicPattern?,
        after: Int64,
        transport: EventStreamTransport,
        termination: StreamTermination
    ) -> EventStreamSubscription {
        // One more than the limit, for the single heartbeat that may be waiting.
        let (stream, continuation) = AsyncStream.makeStream(
            of: StreamMessage.self, bufferingPolicy: .bufferingOldest(bufferLimit + 1))
        let id = state.withLock { state in
            state.nextClientID += 1
            return state.nextClientID
        }
        connectedClients[transport]?.increment()
        let client = StreamClient(id: id, transport: transport, messages: continuation, termination: termination)
        return EventStreamSubscription(hub: self, client: client, messages: stream, topic: topic, after: after)
    }

    /// What ``register(_:topic:after:)`` did.
    enum Registration {
        /// The client is in the live feed: the hub hands it every matching event after `after`.
        case registered
        /// The hub has handed out events past `after` already; read the log further, then try again.
        case behind
        /// The hub has stopped.
        case finished
    }

    /// Adds `client` to the live feed, provided it has been sent every matching event up to the hub's
    /// position already.
    func register(_ client: StreamClient, topic: TopicPattern?, after: Int64) -> Registration {
        state.withLock { state in
            switch state.phase {
            case .finished:
                return .finished
            case .running where after < (state.position ?? 0):
                return .behind
            case .idle, .running:
                // Before the hub runs, any position is fine: `start()` begins at the earliest client's.
                state.clients[client.id] = LiveClient(client: client, topic: topic, after: after)
                return .registered
            }
        }
    }

    /// Removes `client` for good and stops counting it as connected.
    func remove(_ client: StreamClient) {
        state.withLock { state in
            state.clients[client.id] = nil
        }
        client.messages.finish()
        connectedClients[client.transport]?.decrement()
    }

    /// The number of clients in the live feed; for tests.
    var liveClientCount: Int { state.withLock { $0.clients.count } }

    private struct State {
        var phase = Phase.idle
        /// Every event up to here has been handed to the live clients; `nil` until the hub runs.
        var position: Int64?
        var clients: [UInt64: LiveClient] = [:]
        var nextClientID: UInt64 = 0
    }

    private enum Phase {
        case idle, running, finished
    }

    /// A client in the live feed.
    private struct LiveClient {
        let client: StreamClient
        let topic: TopicPattern?
        /// The client has been sent every matching event up to here.
        let after: Int64
    }
}
