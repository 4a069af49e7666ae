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
    /// ones, also after a restart, continue it. The handler runs for one event at a time, in sequence
    /// order apart from redeliveries. An event is acknowledged when the handler returns, and redelivered
    /// when it throws.
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
        let configuration = ConsumerGroupConfiguration(
            name: name,
            topic: try TopicPattern(pattern),
            start: options.start,
            maxAttempts: options.maxAttempts,
            ackTimeout: options.ackTimeout,
            ordered: options.ordered
        )
        _ = try await store.createGroup(configuration)
        let subscription = PersistentSubscription(
            name: name, store: store, options: options, logger: logger, handler: handler)
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

/// How a ``PersistentEventBus`` subscription reads and retries.
public struct PersistentSubscriptionOptions: Sendable, Hashable {
    /// Where a new subscription starts; ignored once its group exists.
    public var start: ConsumerGroupConfiguration.StartPosition
    /// Deliveries of one event at most before it goes to the dead letters.
    public var maxAttempts: Int
    /// How long the handler may hold an event before it is redelivered.
    public var ackTimeout: Duration
    /// How long a failed event waits before it is redelivered.
    public var retryDelay: Duration
    /// Whether events with the same `partitionkey` are handled strictly one after the other.
    public var ordered: Bool
    /// How many events one poll takes.
    public var batchSize: Int

    /// Creates options: from the earliest event, 5 attempts, a 30-second lease, 1 second between attempts.
    public init(
        start: ConsumerGroupConfiguration.StartPosition = .earliest,
        maxAttempts: Int = 5,
        ackTimeout: Duration = .seconds(30),
        retryDelay: Duration = .seconds(1),
        ordered: Bool = false,
        batchSize: Int = 100
    ) {
        self.start = start
        self.maxAttempts = maxAttempts
        self.ackTimeout = ackTimeout
        self.retryDelay = retryDelay
        self.ordered = ordered
        self.batchSize = batchSize
    }
}

/// A running subscription of a ``PersistentEventBus``; ``stop()`` ends it, keeping its position.
public final class PersistentSubscription: Sendable {
    /// The subscription's name, which is also its consumer group's.
    public let name: String
    private let store: any EventLog & ConsumerGroupStore
    private let options: PersistentSubscriptionOptions
    private let logger: Logger
    private let handler: @Sendable (Event) async throws -> Void
    private let task = Mutex<Task<Void, Never>?>(nil)
    /// How long one poll waits for events; stopping interrupts it.
    static let pollWait = Duration.seconds(5)
    /// How many times the acknowledgement of a handled batch is tried before its events are left to
    /// come back after their lease.
    static let ackAttempts = 3

    init(
        name: String,
        store: any EventLog & ConsumerGroupStore,
        options: PersistentSubscriptionOptions,
        logger: Logger,
        handler: @escaping @Sendable (Event) async throws -> Void
    ) {
        self.name = name
        self.store = store
        self.options = options
        self.logger = logger
        self.handler = handler
    }

    func start() {
        task.withLock { task in
            task = Task { await self.run() }
        }
    }

    /// Stops polling once the current batch is handled and acknowledged, and waits for that.
    public func stop() async {
        let running = task.withLock { task in
            defer { task = nil }
            return task
        }
        running?.cancel()
        await running?.value
    }

    private func run() async {
        while !Task.isCancelled {
            do {
                let deliveries = try await store.poll(
                    group: name, max: options.batchSize, wait: Self.pollWait)
                // In a task of its own, which `stop()` does not cancel: the handler and the store calls
                // finish the batch undisturbed, so that what was handled is acknowledged, not failed.
                try await Task { try await self.handle(deliveries) }.value
            } catch is CancellationError {
                return
            } catch {
                logger.error(
                    "persistent subscription could not poll; retrying",
                    metadata: ["subscription": "\(name)", "error": "\(error)"])
                try? await Task.sleep(for: options.retryDelay)
            }
        }
    }

    /// Handles a batch to the end even when the task is cancelled meanwhile, so that every event that
    /// was handled is acknowledged.
    private func handle(_ deliveries: [Delivery]) async throws {
        var acknowledged: [String] = []
        for delivery in deliveries {
            do {
                try await handler(delivery.event)
                acknowledged.append(delivery.id)
            } catch {
                logger.warning(
                    "handler failed; the event will be redelivered",
                    metadata: [
                        "subscription": "\(name)", "event_id": "\(delivery.event.id)",
                        "attempt": "\(delivery.attempt)", "error": "\(error)",
                    ])
                do {
                    _ = try await store.nack(
                        group: name, deliveryIDs: [delivery.id], delay: options.retryDelay,
                        error: String(describing: error))
                } catch {
                    // The event is redelivered when its lease runs out; the rest of the batch goes on.
                    logger.error(
                        "could not nack a failed event; it is redelivered when its lease ends",
                        metadata: [
                            "subscription": "\(name)", "event_id": "\(delivery.event.id)", "error": "\(error)",
                        ])
                }
            }
        }
        if !acknowledged.isEmpty { try await acknowledge(acknowledged) }
    }

    /// Acknowledges handled events, trying again after ``PersistentSubscriptionOptions/retryDelay`` when
    /// the store fails, since every event whose ack is lost is handled a second time after its lease.
    private func acknowledge(_ deliveryIDs: [String]) async throws {
        var attempt = 1
        while true {
            do {
                _ = try await store.ack(group: name, deliveryIDs: deliveryIDs)
                return
            } catch let error as EventLogError where error.code == .closed {
                throw error
            } catch {
                guard attempt < Self.ackAttempts else { throw error }
                logger.warning(
                    "could not acknowledge handled events; trying again",
                    metadata: ["subscription": "\(name)", "attempt": "\(attempt)", "error": "\(error)"])
                try await Task.sleep(for: options.retryDelay)
                attempt += 1
            }
        }
    }
}
