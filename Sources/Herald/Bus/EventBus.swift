import DequeModule
import Logging
import Metrics
import Synchronization

/// The in-process event bus: publishers publish events, subscriptions whose topic pattern matches an
/// event's `type` receive it, each through its own bounded buffer.
///
/// ```swift
/// let bus = EventBus()
/// let subscription = try bus.subscribe("orders.>") { event in print(event.type) }
/// try await bus.publish(Event(source: "/shop", type: "orders.placed"))
/// ```
///
/// - Each subscription has its own buffer and ``BackpressurePolicy``; a slow or failing handler affects
///   no other subscription, except that under ``BackpressurePolicy/suspend`` a publisher waits for room.
/// - Handler errors are logged and counted (`herald_bus_handler_errors_total`), never rethrown to
///   publishers.
/// - Handler subscriptions run on tasks the bus owns; ``shutdown(gracePeriod:)`` (or running the bus as
///   a ServiceLifecycle `Service`) lets them finish what they hold.
public final class EventBus: EventPublisher, Sendable {
    /// Settings for the whole bus.
    public struct Configuration: Sendable {
        /// Where the bus logs handler failures and shutdown reports.
        public var logger: Logger
        /// Where the bus reports drops and handler errors; defaults to the global `MetricsSystem`.
        public var metricsFactory: any MetricsFactory
        /// How long ``publish(_:)-(Event)`` waits for a full buffer under ``BackpressurePolicy/suspend``;
        /// `nil` waits as long as it takes.
        public var publishTimeout: Duration?
        /// How long the bus, run as a `Service`, lets handlers finish their events on graceful shutdown.
        public var shutdownGracePeriod: Duration
        /// How many event types the bus remembers the matching subscriptions of, so that publishing a type
        /// seen before costs one dictionary lookup instead of a match against every pattern; past it, the
        /// bus forgets them all and starts again. Each entry costs about 100 bytes.
        public var typeCacheLimit: Int

        /// Creates a configuration: no publish timeout and a 30-second shutdown grace period by default.
        public init(
            logger: Logger = Logger(label: "herald.bus"),
            metricsFactory: any MetricsFactory = MetricsSystem.factory,
            publishTimeout: Duration? = nil,
            shutdownGracePeriod: Duration = .seconds(30),
            typeCacheLimit: Int = 65_536
        ) {
            self.logger = logger
            self.metricsFactory = metricsFactory
            self.publishTimeout = publishTimeout
            self.shutdownGracePeriod = shutdownGracePeriod
            self.typeCacheLimit = typeCacheLimit
        }
    }

    private struct Registry {
        var trie = TopicTrie<UInt64>()
        var subscriptions: [UInt64: Subscription] = [:]
        var workers: [UInt64: [Task<Void, Never>]] = [:]
        /// Matching subscriptions per event type, so a publish of a known type is one dictionary lookup.
        /// Cleared whenever subscriptions change, and when it grows past ``Configuration/typeCacheLimit``.
        var cache: [EventTypeKey: [Subscription]] = [:]
        /// The last type looked up and its subscriptions: publishers often repeat a type, and comparing
        /// two strings is cheaper than hashing one.
        var lastLookup: (type: EventTypeKey, subscriptions: [Subscription])?
        var nextID: UInt64 = 0
        var isShutDown = false

        mutating func clearCache() {
            cache.removeAll()
            lastLookup = nil
        }
    }

    /// The configuration the bus was created with.
    public let configuration: Configuration
    private let registry = Mutex(Registry())
    private let workers = WorkerTracker()

    /// Creates a bus.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    // MARK: Subscribing

    /// Subscribes `handler` to every event whose type matches `pattern`.
    ///
    /// - Parameters:
    ///   - pattern: a topic pattern such as `orders.*.placed` or `sensors.>` (see ``TopicPattern``).
    ///   - options: buffer, backpressure and concurrency.
    ///   - handler: called for each event, on a task the bus owns. An error it throws is logged and counted.
    /// - Throws: ``TopicPatternError`` for an invalid pattern; ``EventBusError`` for invalid options or a
    ///   bus that is shut down.
    @discardableResult
    public func subscribe(
        _ pattern: String,
        options: SubscriptionOptions = SubscriptionOptions(),
        handler: @escaping @Sendable (Event) async throws -> Void
    ) throws -> Subscription {
        let subscription = try register(try TopicPattern(pattern), options: options)
        let workers = (0..<subscription.options.concurrency).map { _ in
            self.workers.started()
            return Task {
                await self.runWorker(subscription, handler: handler)
                self.workers.finished()
            }
        }
        registry.withLock { $0.workers[subscription.id] = workers }
        return subscription
    }

    /// The events whose type matches `pattern`, as an async sequence, buffered as `options` says.
    ///
    /// The subscription starts when this returns, so events published afterwards are not missed even
    /// before iteration begins. It ends when the sequence's iterator is dropped, the iterating task is
    /// cancelled, or the bus shuts down (after the buffered events). ``SubscriptionOptions/concurrency``
    /// does not apply: the iterating task handles one event at a time.
    public func events(
        matching pattern: String,
        options: SubscriptionOptions = SubscriptionOptions()
    ) throws -> EventStream {
        var options = options
        options.concurrency = 1
        return EventStream(subscription: try register(try TopicPattern(pattern), options: options))
    }

    private func register(_ pattern: TopicPattern, options: SubscriptionOptions) throws -> Subscription {
        let options = try options.validated()
        return try registry.withLock { registry in
            guard !registry.isShutDown else {
                throw EventBusError(.shutDown, "the bus is shut down; create a new EventBus to subscribe again")
            }
            registry.nextID += 1
            let id = registry.nextID
            let subscription = Subscription(
                id: id,
                name: options.name ?? "subscription-\(id)",
                pattern: pattern,
                options: options,
                metricsFactory: configuration.metricsFactory,
                onCancel: { [weak self] id in self?.unregister(id) }
            )
            registry.trie.insert(pattern, id)
            registry.subscriptions[id] = subscription
            registry.clearCache()
            return subscription
        }
    }

    private func unregister(_ id: UInt64) {
        registry.withLock { registry in
            guard let subscription = registry.subscriptions.removeValue(forKey: id) else { return }
            _ = registry.trie.remove(subscription.pattern, id)
            registry.workers[id] = nil
            registry.clearCache()
        }
    }

    /// How many subscriptions would receive an event of type `topic`.
    public func subscriberCount(matching topic: String) -> Int {
        registry.withLock { $0.trie.count(matching: topic) }
    }

    /// How many subscriptions the bus has.
    public var subscriptionCount: Int {
        registry.withLock { $0.subscriptions.count }
    }

    /// Cancels every subscription registered with exactly `pattern` (unsubscribing from a topic);
    /// returns how many there were.
    @discardableResult
    public func removeSubscriptions(pattern: String) -> Int {
        let matching = registry.withLock { registry in
            registry.subscriptions.values.filter { $0.pattern.text == pattern }
        }
        for subscription in matching { subscription.cancel() }
        return matching.count
    }

    /// Cancels every subscription.
    public func removeAllSubscribers() {
        let all = registry.withLock { Array($0.subscriptions.values) }
        for subscription in all { subscription.cancel() }
    }

    // MARK: Publishing

    /// Publishes an event to every matching subscription, waiting at most
    /// ``Configuration/publishTimeout`` for full buffers under ``BackpressurePolicy/suspend``.
    ///
    /// - Throws: ``EventValidationError`` for an invalid event (nothing is delivered); ``EventBusError``
    ///   when the bus is shut down, a ``BackpressurePolicy/fail`` subscription is full, or the wait timed
    ///   out. Subscriptions that had room have the event even when the publish throws
    ///   ``EventBusError/Code/bufferFull`` or ``EventBusError/Code/publishTimedOut``.
    public func publish(_ event: Event) async throws {
        // The common case stays synchronous: no async frames until a buffer is actually full.
        try event.validate()
        let outcome = offer(event, to: try subscriptions(for: event.type))
        if !outcome.isComplete { try await finish(outcome, of: event, timeout: configuration.publishTimeout) }
    }

    /// Publishes an event, waiting at most `timeout` (or without limit when `nil`) for full buffers.
    public func publish(_ event: Event, timeout: Duration?) async throws {
        try event.validate()
        let outcome = offer(event, to: try subscriptions(for: event.type))
        if !outcome.isComplete { try await finish(outcome, of: event, timeout: timeout) }
    }

    /// Publishes events in order. Every event is validated first: if one is invalid, none is published.
    public func publish(_ events: [Event]) async throws {
        for index in events.indices {
            do {
                try events[index].validate()
            } catch {
                throw EventBatchError(index: index, underlying: error)
            }
        }
        for event in events {
            let outcome = offer(event, to: try subscriptions(for: event.type))
            if !outcome.isComplete { try await finish(outcome, of: event, timeout: configuration.publishTimeout) }
        }
    }

    private func subscriptions(for type: String) throws -> [Subscription] {
        try registry.withLock { registry in
            guard !registry.isShutDown else {
                throw EventBusError(.shutDown, "the bus is shut down and accepts no events")
            }
            let key = EventTypeKey(type)
            if let last = registry.lastLookup, last.type == key { return last.subscriptions }
            if let cached = registry.cache[key] {
                registry.lastLookup = (key, cached)
                return cached
            }
            let matched = registry.trie.matches(type).compactMap { registry.subscriptions[$0] }
            if registry.cache.count >= configuration.typeCacheLimit { registry.cache.removeAll() }
            registry.cache[key] = matched
            registry.lastLookup = (key, matched)
            return matched
        }
    }

    /// What offering an event to its subscriptions left to do.
    private struct OfferOutcome {
        /// Subscriptions under ``BackpressurePolicy/suspend`` whose buffer was full.
        var mustWait: [Subscription] = []
        /// Names of subscriptions under ``BackpressurePolicy/fail`` whose buffer was full.
        var full: [String] = []
        /// Whether a subscription refused the event because the bus is shutting down.
        var refusedForShutdown = false

        var isComplete: Bool { mustWait.isEmpty && full.isEmpty && !refusedForShutdown }
    }

    /// Offers `event` to every subscription without waiting, so that a full buffer under
    /// ``BackpressurePolicy/suspend`` delays no other subscription.
    private func offer(_ event: Event, to subscriptions: [Subscription]) -> OfferOutcome {
        var outcome = OfferOutcome()
        for subscription in subscriptions {
            switch subscription.mailbox.offer(event) {
            case .accepted, .closed:
                continue
            case .dropped:
                subscription.droppedEvents.increment()
            case .full:
                outcome.full.append(subscription.name)
            case .mustWait:
                outcome.mustWait.append(subscription)
            case .shutDown:
                outcome.refusedForShutdown = true
            }
        }
        return outcome
    }

    /// Waits for the full buffers of an offer, then reports the ``BackpressurePolicy/fail`` ones.
    private func finish(_ outcome: OfferOutcome, of event: Event, timeout: Duration?) async throws {
        // A publish that raced shutdown must not return as if the event had been delivered.
        if outcome.refusedForShutdown {
            throw EventBusError(
                .shutDown, "the bus shut down while the event was being published; it was not delivered")
        }
        for subscription in outcome.mustWait {
            try await waitToDeliver(event, to: subscription, timeout: timeout)
        }
        guard outcome.full.isEmpty else {
            throw EventBusError(
                .bufferFull,
                "the buffer of \(outcome.full.joined(separator: ", ")) is full (backpressure policy 'fail'); "
                    + "the other subscriptions received the event. Retry later or raise bufferCapacity.",
                subscriptions: outcome.full
            )
        }
    }

    private func waitToDeliver(_ event: Event, to subscription: Subscription, timeout: Duration?) async throws {
        let shutDown = EventBusError(.shutDown, "the bus shut down while the publish waited for '\(subscription.name)'")
        guard let timeout else {
            return try await subscription.mailbox.waitToDeliver([event], failure: shutDown)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await subscription.mailbox.waitToDeliver([event], failure: shutDown) }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw EventBusError(
                    .publishTimedOut,
                    "'\(subscription.name)' had no room for \(timeout) (backpressure policy 'suspend'); "
                        + "its handler is slower than publishers. Raise bufferCapacity or the timeout, "
                        + "or choose a dropping policy.",
                    subscriptions: [subscription.name]
                )
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    // MARK: Handling

    private func runWorker(_ subscription: Subscription, handler: @Sendable (Event) async throws -> Void) async {
        let mailbox = subscription.mailbox
        if mailbox.keyed {
            var finished: Event?
            var failed = false
            while let event = await mailbox.nextKeyed(completing: finished, failed: failed) {
                failed = false
                do {
                    try await handler(event)
                } catch {
                    failed = true
                    report(error, handling: event, in: subscription)
                }
                finished = event
            }
        } else {
            var batch = Deque<Event>()
            var completed = 0
            var failed = 0
            var waited = false
            while await mailbox.next(into: &batch, completed: completed, failed: failed, waited: &waited) {
                completed = 0
                failed = 0
                while let event = batch.popFirst() {
                    do {
                        try await handler(event)
                    } catch {
                        failed += 1
                        report(error, handling: event, in: subscription)
                    }
                    completed += 1
                    mailbox.finishedInBatch.store(completed, ordering: .relaxed)
                    if mailbox.isDiscarded.load(ordering: .relaxed) { batch.removeAll() }
                }
                if completed < 64 && !waited { mailbox.pauseBeforeNextBatch() }
            }
        }
    }

    /// Logs and counts a handler's error; it goes no further.
    private func report(_ error: any Error, handling event: Event, in subscription: Subscription) {
        subscription.handlerErrors.increment()
        configuration.logger.error(
            "handler failed",
            metadata: [
                "subscription": "\(subscription.name)",
                "event_id": "\(event.id)",
                "event_type": "\(event.type)",
                "error": "\(error)",
            ]
        )
    }

    // MARK: Waiting and shutdown

    /// Waits until every event published so far, and every event those events caused before this
    /// returns, has been handled (or failed, or dropped). For tests and orderly hand-overs; never sleeps.
    public func waitUntilIdle() async {
        while true {
            let subscriptions = registry.withLock { Array($0.subscriptions.values) }
            let before = subscriptions.reduce(0) { $0 + $1.mailbox.counts.accepted }
            for subscription in subscriptions { await subscription.mailbox.waitUntilIdle() }
            let after = registry.withLock { registry in
                registry.subscriptions.values.reduce(0) { $0 + $1.mailbox.counts.accepted }
            }
            if after == before { return }
        }
    }

    /// Shuts the bus down: stops intake at once, lets handlers finish buffered and in-flight events
    /// within `gracePeriod`, then cancels what is left and reports it.
    ///
    /// Publishes after this starts throw ``EventBusError/Code/shutDown``; so do publishers still waiting
    /// for buffer room. Calling it again returns an empty report.
    @discardableResult
    public func shutdown(gracePeriod: Duration = .seconds(30)) async -> ShutdownReport {
        let (subscriptions, workers) = registry.withLock { registry in
            let wasShutDown = registry.isShutDown
            registry.isShutDown = true
            registry.clearCache()
            if wasShutDown { return ([Subscription](), [Task<Void, Never>]()) }
            return (Array(registry.subscriptions.values), registry.workers.values.flatMap { $0 })
        }
        let failure = EventBusError(.shutDown, "the bus shut down before the event could be buffered")
        for subscription in subscriptions { subscription.mailbox.closeIntake(failingBlockedPublishersWith: failure) }

        let finishedInTime = await withTaskGroup(of: Bool.self) { group in
            group.addTask { [self] in
                do {
                    try await self.workers.waitUntilNoneRunning()
                    return true
                } catch {
                    return false
                }
            }
            group.addTask {
                try? await Task.sleep(for: gracePeriod)
                return false
            }
            defer { group.cancelAll() }
            return await group.next() ?? false
        }

        var unfinished: [String: Int] = [:]
        for subscription in subscriptions {
            let counts = subscription.mailbox.counts
            let left = counts.accepted > counts.completed ? Int(counts.accepted - counts.completed) : 0
            if left > 0 { unfinished[subscription.name] = left }
        }
        if !finishedInTime {
            for subscription in subscriptions { subscription.mailbox.discard() }
            for worker in workers { worker.cancel() }
        }
        registry.withLock { registry in
            registry.subscriptions.removeAll()
            registry.workers.removeAll()
            registry.trie.removeAll()
        }
        let report = ShutdownReport(finishedInTime: finishedInTime, unfinishedEvents: unfinished)
        if finishedInTime {
            configuration.logger.debug("event bus shut down; every buffered event was handled")
        } else {
            configuration.logger.warning(
                "event bus shut down with unhandled events",
                metadata: ["unfinished": "\(unfinished)"]
            )
        }
        return report
    }
}

/// What ``EventBus/shutdown(gracePeriod:)`` left undone.
public struct ShutdownReport: Sendable, Hashable {
    /// Whether every handler finished its events within the grace period.
    public var finishedInTime: Bool
    /// Events accepted but not handled when the grace period ended, by subscription name.
    public var unfinishedEvents: [String: Int]

    /// The total number of unhandled events.
    public var unfinishedCount: Int { unfinishedEvents.values.reduce(0, +) }
}
