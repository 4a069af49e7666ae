import Herald

/// One client's stream of events from an ``EventStreamHub``: first the stored events it is behind on, read
/// from the store, then the hub's live feed.
///
/// Events come in strictly increasing sequence order, without gaps among those matching the topic: the
/// subscription reads the log until it has caught up with the hub, joins the live feed only then, and skips
/// anything the feed repeats. Use it from one task, and ``close()`` it when done.
struct EventStreamSubscription {
    let hub: EventStreamHub
    let client: StreamClient
    private var messages: AsyncStream<StreamMessage>.Iterator
    private let topic: TopicPattern?
    /// Every event matching `topic` up to here has been returned.
    private var cursor: Int64
    /// Stored events read but not yet returned, while catching up.
    private var pending: [StreamedEvent] = []
    /// The position in `pending` of the next event to return.
    private var pendingIndex = 0
    /// Where the read that filled `pending` stopped.
    private var readThrough: Int64
    private var isLive = false
    /// The waits while the store is unavailable during catching up.
    private var outage = StoreOutageBackoff()

    init(
        hub: EventStreamHub,
        client: StreamClient,
        messages: AsyncStream<StreamMessage>,
        topic: TopicPattern?,
        after: Int64
    ) {
        self.hub = hub
        self.client = client
        self.messages = messages.makeAsyncIterator()
        self.topic = topic
        self.cursor = after
        self.readThrough = after
    }

    /// The next event or heartbeat; `nil` once the stream has ended (see the client's termination for why).
    ///
    /// - Throws: what the store throws while catching up, or `CancellationError`; while the store is unavailable
    ///   for now (``EventLogError/Code/unavailable``) it waits and tries again instead (``StoreOutageBackoff``).
    mutating func next() async throws -> StreamMessage? {
        while !isLive {
            if pendingIndex < pending.count {
                let event = pending[pendingIndex]
                pendingIndex += 1
                cursor = event.sequence
                hub.countDelivered(client.transport)
                return .event(event)
            }
            cursor = max(cursor, readThrough)
            try Task.checkCancellation()
            let page: EventPage
            do {
                page = try await hub.store.read(
                    after: cursor, filter: EventFilter(topic: topic), limit: EventStreamHub.pageSize)
                outage.reset()
            } catch let error where StoreOutageBackoff.isOutage(error) {
                // Wait the outage out: the stream stays open and goes on from `cursor` once the store answers.
                try await outage.wait()
                continue
            }
            readThrough = max(cursor, page.nextAfter)
            if !page.events.isEmpty {
                pending = page.events.map(StreamedEvent.init)
                pendingIndex = 0
                continue
            }
            cursor = readThrough
            switch hub.register(client, topic: topic, after: cursor) {
            case .registered:
                isLive = true
            case .behind:
                continue
            case .finished:
                client.end(.serverShutdown)
                return nil
            }
        }
        while let message = await messages.next() {
            switch message {
            case .heartbeat:
                client.heartbeatTaken()
                return .heartbeat
            case .event(let event) where event.sequence > cursor:
                cursor = event.sequence
                hub.countDelivered(client.transport)
                return .event(event)
            case .event:
                continue
            }
        }
        return nil
    }

    /// Leaves the hub; the subscription gives nothing more.
    func close() {
        hub.remove(client)
    }
}
