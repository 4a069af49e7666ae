import Logging
import Synchronization

/// An event bus over a durable store: publishing appends to the log first, and subscribers are fed from
/// the log, so a restart loses nothing that `publish` returned for.
///
/// ```swift
/// let store = try await SQLiteEventStore.open(path: "herald.db")
/// let bus = PersistentEventBus(store: store)
/// try await bus.subscribe("orders.>", name: "billing") { event in try await bill(event) }
/// try await bus.publish(Event(source: "/shop", type: "orders.placed"))
/// ```
///
/// Each subscription is a consumer group named after it, so it resumes where it left off after a
/// restart, receives every event at least once, retries a failed event after
/// ``PersistentSubscriptionOptions/retryDelay`` and moves it to the group's dead letters after
/// ``PersistentSubscriptionOptions/maxAttempts``. Handlers should therefore be idempotent.
public final class PersistentEventBus: EventPublisher, Sendable {
    /// The store events are appended to and read from.
    public let store: any EventLog & ConsumerGroupStore
    private let logger: Logger
    private let subscriptions = Mutex<[String: PersistentSubscription]>([:])

    /// Creates a bus over `store`.
    public init(store: any EventLog & ConsumerGroupStore, logger: Logger = Logger(label: "herald.persistent-bus")) {
        self.store = store
        self.logger = logger
    }

    /// Appends `event` to the log; when this returns, the event is durable.
    ///
    /// - Throws: ``EventValidationError`` (in an ``EventBatchError``) for an invalid event, or
    ///   ``EventLogError`` when the store refuses it.
    public func publish(_ event: Event) async throws {
        _ = try await store.append([event], expecting: nil)
    }

    /// Appends `events` atomically: all are durable when this returns, or none is stored.
    public func publish(_ events: [Event]) async throws {
        _ = try await store.append(events, expecting: nil)
    }

    /// Subscribes `handler` durably, as the consumer group `name`, to events whose type matches `pattern`.
    ///
    /// The first subscription under a name creates the group (starting as `options.start` says); later
    /// ones, also after a restart, continue it. The handler runs on a ``GroupConsumer``: for up to
    /// `options.concurrency` events at once (one by default), events of one `partitionkey` one at a time in
    /// order. An event is acknowledged when the handler returns, and delivered again after
    /// `options.retryDelay` when it throws.
    ///
    /// - Throws: ``EventLogError`` when the group exists with other settings, or a name is in use on
    ///   this bus already; ``TopicPatternError`` for an invalid pattern.
    @discardableResult
    public func subscribe(
        _ pattern: String,
        name: String,
        options: PersistentSubscriptionOptions = PersistentSubscriptionOptions(),
        handler: @escaping @Sendable (Event) async throws -> Void
    ) async throws -> PersistentSubscription {
        let source = ConsumerGroupSource(
            store: store, configuration: options.groupConfiguration(name: name, topic: try TopicPattern(pattern)))
        _ = try await source.open()
        let consumer = GroupConsumer(name: name, source: source, options: options, logger: logger) { event, _ in
            try await handler(event)
            return []
        }
        let subscription = PersistentSubscription(consumer: consumer, logger: logger)
        try subscriptions.withLock { subscriptions in
            guard subscriptions[name] == nil else {
                throw EventLogError(.invalidArgument, "a subscription named '\(name)' is running on this bus already")
            }
            subscriptions[name] = subscription
        }
        subscription.start()
        return subscription
    }

    /// Stops every subscription after the events its handler holds, and waits for them.
    public func shutdown() async {
        let all = subscriptions.withLock { subscriptions in
            defer { subscriptions.removeAll() }
            return Array(subscriptions.values)
        }
        for subscription in all { await subscription.stop() }
    }
}

/// A running subscription of a ``PersistentEventBus``; ``stop()`` ends it, keeping its position.
public final class PersistentSubscription: Sendable {
    private let consumer: GroupConsumer
    private let logger: Logger
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(consumer: GroupConsumer, logger: Logger) {
        self.consumer = consumer
        self.logger = logger
    }

    /// The subscription's name, which is also its consumer group's.
    public var name: String { consumer.name }

    func start() {
        task.withLock { task in
            task = Task { [consumer, logger] in
                do {
                    try await consumer.run()
                } catch {
                    logger.error(
                        "persistent subscription stopped: its group cannot be opened",
                        metadata: ["subscription": "\(consumer.name)", "error": "\(error)"])
                }
            }
        }
    }

    /// Stops taking events, lets the handler finish the events it holds, settles them, and waits for that.
    public func stop() async {
        let running = task.withLock { task in
            defer { task = nil }
            return task
        }
        consumer.stop()
        await running?.value
    }
}
