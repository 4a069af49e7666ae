import DequeModule
import Logging
import ServiceLifecycle
import Synchronization

/// The one consumer loop of a durable source: polls a ``DeliverySource``, runs a handler chain on each
/// delivery, acknowledges what succeeded and negatively acknowledges what failed. The router's durable
/// handlers, ``PersistentEventBus`` subscriptions and ``ProcessManagerRunner`` all run on it.
///
/// - **Concurrency.** Up to ``ConsumerOptions/concurrency`` handlers run at once; events of one
///   `partitionkey` (or of one key the owner chooses) run one at a time, in the order delivered.
/// - **Acknowledgements** ride on the next poll, which goes out when half of the batch in hand is done: a
///   steady consumer makes one round trip, and at most one durable commit, per batch. When no poll is
///   due (the group has no more events) they go out at once, batched while one is in progress.
/// - **Failures.** A handler that throws has its event negatively acknowledged: after the delay of a
///   ``RedeliveryRequest`` (``RetryMiddleware`` throws one on a durable source), or
///   ``ConsumerOptions/retryDelay``. The group counts the attempts and dead-letters the event after its
///   last. The events a handler returns are published through the source before its event is
///   acknowledged.
/// - **Stopping.** On graceful shutdown, task cancellation or ``stop()``, the consumer takes no more
///   events, gives back the events it holds but has not started (negatively acknowledged with no delay),
///   lets running handlers finish within ``ConsumerOptions/drainTimeout`` (then cancels them), settles
///   every event, and returns. A handler that ignores cancellation holds the stop until it returns.
public final class GroupConsumer: Service, Sendable {
    /// The name of the handler, in logs and in every ``HandlerContext``.
    public let name: String
    /// Where the events come from.
    public let source: any DeliverySource
    /// How the consumer polls, runs and stops.
    public let options: ConsumerOptions
    private let handler: EventHandler
    private let orderingKey: @Sendable (Event) -> String?
    private let logger: Logger
    private let stopRequests: AsyncStream<Void>
    private let requestStop: AsyncStream<Void>.Continuation
    /// Set by ``stop()`` at once, so that the loop takes no event after a stop it has not been woken for yet.
    private let stopRequested = Atomic(false)

    /// Creates a consumer that runs `handler` (usually a middleware chain) on the events of `source`.
    ///
    /// - Parameters:
    ///   - orderingKey: events with the same key run one at a time, in order; `nil` leaves an event free.
    ///     By default the event's `partitionkey`.
    public init(
        name: String,
        source: any DeliverySource,
        options: ConsumerOptions = ConsumerOptions(),
        logger: Logger = Logger(label: "herald.consumer"),
        orderingKey: @escaping @Sendable (Event) -> String? = { $0.partitionKey },
        handler: @escaping EventHandler
    ) {
        precondition(options.concurrency >= 1, "GroupConsumer: concurrency \(options.concurrency) must be at least 1")
        precondition(options.batchSize >= 1, "GroupConsumer: batchSize \(options.batchSize) must be at least 1")
        self.name = name
        self.source = source
        self.options = options
        self.logger = logger
        self.orderingKey = orderingKey
        self.handler = handler
        (stopRequests, requestStop) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Opens the source, then consumes until graceful shutdown, cancellation of the task or ``stop()``,
    /// and returns once every event in hand is settled.
    ///
    /// - Throws: what ``DeliverySource/open()`` throws; later store failures are logged and retried.
    public func run() async throws {
        let maxAttempts = try await source.open()
        // The loop runs in a task of its own, which cancelling this one does not cancel: a stop lets the
        // handlers finish and settles their events instead of failing them.
        let loop = Task { await self.consume(maxAttempts: maxAttempts) }
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await loop.value
            } onCancel: {
                self.stop()
            }
        } onGracefulShutdown: {
            self.stop()
        }
    }

    /// Asks the consumer to stop; ``run()`` returns when it has. A stopped consumer does not run again.
    public func stop() {
        stopRequested.store(true, ordering: .releasing)
        requestStop.yield()
        requestStop.finish()
    }

    /// Polls once, waiting up to `wait` for events, handles what came as ``run()`` would, settles every
    /// event, and returns how many came: for tests and tools that step a consumer. Does not open the source.
    ///
    /// - Throws: the poll's error; failures of handlers and of later store calls are handled as in ``run()``.
    @discardableResult
    public func runOnce(wait: Duration = .zero, maxAttempts: Int? = nil) async throws -> Int {
        let (count, failure) = await consume(maxAttempts: maxAttempts, once: wait)
        if let failure { throw failure }
        return count
    }

    /// Runs the loop until it is stopped, or, given `once`, until the events of one poll waiting up to that
    /// long are settled; returns how many events came, and the error of a poll that failed in a single run.
    @discardableResult
    private func consume(maxAttempts: Int?, once: Duration? = nil) async -> (Int, (any Error)?) {
        await withTaskGroup(of: ConsumerStep.self) { group in
            if once == nil {
                let stopRequests = self.stopRequests
                group.addTask {
                    for await _ in stopRequests { break }
                    return .stopRequested
                }
            }
            var loop = ConsumerLoop(consumer: self, maxAttempts: maxAttempts, once: once)
            loop.advance(&group)
            while !loop.isFinished, let step = await group.next() {
                loop.take(step, &group)
                loop.advance(&group)
            }
            group.cancelAll()
            return (loop.received, loop.pollFailure)
        }
    }

    fileprivate func handle(_ delivery: Delivery, maxAttempts: Int?) async -> (any Error)? {
        var handlerLogger = logger
        handlerLogger[metadataKey: "handler"] = "\(name)"
        handlerLogger[metadataKey: "event_id"] = "\(delivery.event.id)"
        handlerLogger[metadataKey: "correlation_id"] = "\(delivery.event.correlationID ?? delivery.event.id)"
        var context = HandlerContext(
            handlerName: name, attempt: delivery.attempt, logger: handlerLogger,
            publisher: SourcePublisher(source: source), deliveryLimit: maxAttempts ?? Int.max)
        context.delivery = delivery
        do {
            let caused = try await handler(delivery.event, context)
            if !caused.isEmpty { try await source.publish(caused) }
            return nil
        } catch {
            return error
        }
    }

    fileprivate func key(of event: Event) -> String? { orderingKey(event) }

    fileprivate var isStopRequested: Bool { stopRequested.load(ordering: .acquiring) }

    fileprivate var log: Logger { logger }
}

/// What a child task of the consumer's loop reports.
private enum ConsumerStep: Sendable {
    case stopRequested
    case polled(Result<[Delivery], any Error>, acknowledging: [String])
    case acknowledged([String], (any Error)?)
    case nacked
    case handled(Delivery, key: String?, (any Error)?)
    case flushDue
    case pollRetryDue
    case drainOver
}

/// The loop's state, changed only by the loop's task.
private struct ConsumerLoop {
    let consumer: GroupConsumer
    let maxAttempts: Int?
    let capacity: Int
    /// Deliveries taken and not started, in the order delivered.
    var waiting: Deque<Delivery> = []
    var running = 0
    var busyKeys: Set<String> = []
    var pendingAcks: [String] = []
    /// A poll or an ack is out; acknowledgements made meanwhile wait for the next.
    var storeCallOut = false
    /// The outstanding poll when it waits for events and carries no acknowledgements: a stop cancels it.
    var waitingPoll: Task<[Delivery], any Error>?
    var nacksOut = 0
    /// The last poll found no event, so the next comes when the consumer runs dry.
    var groupDrained = false
    /// A timer runs that sends the acknowledgements on their own when no poll took them before it fires.
    var flushArmed = false
    var flushRequested = false
    var pollPausedUntilRetry = false
    var pollPause = Duration.milliseconds(100)
    var stopping = false
    /// Given for a single run: the wait of its one poll.
    let once: Duration?
    var received = 0
    var pollFailure: (any Error)?
    /// How long acknowledgements wait for the next poll at most.
    static let longestAckWait = Duration.milliseconds(200)

    init(consumer: GroupConsumer, maxAttempts: Int?, once: Duration?) {
        self.consumer = consumer
        self.maxAttempts = maxAttempts
        self.once = once
        self.capacity = max(consumer.options.batchSize, consumer.options.concurrency)
    }

    /// Whether the loop polls again: until it stops, or after the one poll of a single run.
    var takesMore: Bool { !stopping && (once == nil || !polledOnce) }
    var polledOnce = false

    var isFinished: Bool {
        !takesMore && running == 0 && waiting.isEmpty && !storeCallOut && nacksOut == 0 && pendingAcks.isEmpty
    }

    mutating func take(_ step: ConsumerStep, _ group: inout TaskGroup<ConsumerStep>) {
        switch step {
        case .stopRequested:
            guard !stopping else { return }
            stopping = true
            waitingPoll?.cancel()
            let drainTimeout = consumer.options.drainTimeout
            group.addTask {
                try? await Task.sleep(for: drainTimeout)
                return .drainOver
            }
        case .drainOver:
            // Cancels the handlers still running; the store calls run in tasks of their own and finish.
            if stopping && running > 0 {
                consumer.log.warning(
                    "handlers did not finish within the drain timeout; cancelling them",
                    metadata: ["handler": "\(consumer.name)", "running": "\(running)"])
                group.cancelAll()
            }
        case .polled(.success(let deliveries), _):
            storeCallOut = false
            polledOnce = true
            received += deliveries.count
            waitingPoll = nil
            pollPause = .milliseconds(100)
            groupDrained = deliveries.isEmpty
            waiting.append(contentsOf: deliveries)
        case .polled(.failure(let error), let acknowledging):
            storeCallOut = false
            waitingPoll = nil
            // Acknowledgements that may not have been made go with the next call; one made already names
            // no current delivery then and is ignored.
            pendingAcks.append(contentsOf: acknowledging)
            guard !(error is CancellationError) else { return }
            if once != nil {
                polledOnce = true
                pollFailure = error
                return
            }
            consumer.log.error(
                "consumer could not poll its group; trying again",
                metadata: [
                    "handler": "\(consumer.name)", "group": "\(consumer.source.groupName)", "error": "\(error)",
                    "pause": "\(pollPause)",
                ])
            pollPausedUntilRetry = true
            let pause = pollPause
            pollPause = min(pollPause * 2, .seconds(5))
            group.addTask {
                try? await Task.sleep(for: pause)
                return .pollRetryDue
            }
        case .pollRetryDue:
            pollPausedUntilRetry = false
        case .acknowledged(let ids, let error):
            storeCallOut = false
            if let error {
                consumer.log.error(
                    "consumer could not acknowledge handled events; trying again",
                    metadata: ["handler": "\(consumer.name)", "error": "\(error)"])
                pendingAcks.append(contentsOf: ids)
                if !flushArmed { armFlush(&group, after: pollPause) }
            }
        case .nacked:
            nacksOut -= 1
        case .flushDue:
            flushArmed = false
            flushRequested = true
        case .handled(let delivery, let key, let error):
            running -= 1
            if let key { busyKeys.remove(key) }
            guard let error else {
                pendingAcks.append(delivery.id)
                return
            }
            nack(delivery, error, &group)
        }
    }

    /// Starts what can start, and sends the store call that is due.
    mutating func advance(_ group: inout TaskGroup<ConsumerStep>) {
        if !stopping && once == nil && consumer.isStopRequested { take(.stopRequested, &group) }
        if stopping {
            giveBackWaiting(&group)
        } else {
            startHandlers(&group)
        }
        guard !storeCallOut else { return }
        let held = waiting.count + running
        if takesMore && !pollPausedUntilRetry && (held == 0 || (held <= capacity / 2 && !groupDrained)) {
            poll(max: capacity - held, &group)
        } else if !pendingAcks.isEmpty {
            if !takesMore || groupDrained || pollPausedUntilRetry || flushRequested {
                acknowledge(&group)
            } else if !flushArmed {
                // The next poll carries them once half of the events in hand are done; should those take
                // long, the acknowledgements go on their own before their leases are at risk.
                armFlush(&group, after: Self.longestAckWait)
            }
        }
    }

    private mutating func armFlush(_ group: inout TaskGroup<ConsumerStep>, after delay: Duration) {
        flushArmed = true
        group.addTask {
            try? await Task.sleep(for: delay)
            return .flushDue
        }
    }

    private mutating func startHandlers(_ group: inout TaskGroup<ConsumerStep>) {
        while running < consumer.options.concurrency, let delivery = nextStartable() {
            let key = consumer.key(of: delivery.event)
            if let key { busyKeys.insert(key) }
            running += 1
            let consumer = self.consumer
            let maxAttempts = self.maxAttempts
            group.addTask {
                .handled(delivery, key: key, await consumer.handle(delivery, maxAttempts: maxAttempts))
            }
        }
    }

    /// Removes and returns the first waiting delivery whose key is free and not held by an earlier one.
    private mutating func nextStartable() -> Delivery? {
        guard let first = waiting.first else { return nil }
        guard let firstKey = consumer.key(of: first.event) else { return waiting.removeFirst() }
        if !busyKeys.contains(firstKey) { return waiting.removeFirst() }
        var blocked: Set<String> = [firstKey]
        for index in waiting.indices.dropFirst() {
            guard let key = consumer.key(of: waiting[index].event) else { return waiting.remove(at: index) }
            if !busyKeys.contains(key) && !blocked.contains(key) { return waiting.remove(at: index) }
            blocked.insert(key)
        }
        return nil
    }

    private mutating func poll(max: Int, _ group: inout TaskGroup<ConsumerStep>) {
        let acknowledging = pendingAcks
        pendingAcks = []
        flushRequested = false
        // Acknowledgements never wait in a poll: with some to make, the poll answers at once, and the
        // next, without them, waits.
        let wait =
            (waiting.isEmpty && running == 0 && acknowledging.isEmpty) ? once ?? consumer.options.pollWait : .zero
        let source = consumer.source
        let call = Task { try await source.poll(max: max, wait: wait, acknowledging: acknowledging) }
        waitingPoll = acknowledging.isEmpty && wait > .zero ? call : nil
        storeCallOut = true
        group.addTask { .polled(await call.result, acknowledging: acknowledging) }
    }

    private mutating func acknowledge(_ group: inout TaskGroup<ConsumerStep>) {
        let ids = pendingAcks
        pendingAcks = []
        flushRequested = false
        storeCallOut = true
        let source = consumer.source
        // In a task of its own, which cancelling the loop's children does not reach.
        let call = Task { try await source.ack(ids) }
        group.addTask {
            if case .failure(let error) = await call.result { return .acknowledged(ids, error) }
            return .acknowledged(ids, nil)
        }
    }

    private mutating func nack(_ delivery: Delivery, _ error: any Error, _ group: inout TaskGroup<ConsumerStep>) {
        let request = error as? RedeliveryRequest
        let delay = request?.delay ?? (error is CancellationError ? .zero : consumer.options.retryDelay)
        let reason = String(describing: request?.underlying ?? error)
        consumer.log.warning(
            "handler failed; the event will be delivered again or dead-lettered",
            metadata: [
                "handler": "\(consumer.name)", "event_id": "\(delivery.event.id)", "attempt": "\(delivery.attempt)",
                "delay": "\(delay)", "error": "\(reason)",
            ])
        settleNegatively([delivery.id], delay: delay, error: reason, &group)
    }

    /// Gives back the deliveries that were never started, so that other consumers take them at once.
    private mutating func giveBackWaiting(_ group: inout TaskGroup<ConsumerStep>) {
        guard !waiting.isEmpty else { return }
        let ids = waiting.map(\.id)
        waiting.removeAll()
        settleNegatively(ids, delay: .zero, error: "the consumer stopped before handling the event", &group)
    }

    private mutating func settleNegatively(
        _ ids: [String], delay: Duration, error reason: String, _ group: inout TaskGroup<ConsumerStep>
    ) {
        nacksOut += 1
        let source = consumer.source
        let logger = consumer.log
        let name = consumer.name
        let call = Task {
            do {
                try await source.nack(ids, delay: delay, error: reason)
            } catch {
                logger.error(
                    "could not nack; the events come again when their leases end",
                    metadata: ["handler": "\(name)", "error": "\(error)"])
            }
        }
        group.addTask {
            await call.value
            return .nacked
        }
    }
}

/// Publishes through a source: what middleware publishes (dead letters) goes where the events came from.
private struct SourcePublisher: EventPublisher {
    let source: any DeliverySource

    func publish(_ event: Event) async throws {
        try await source.publish([event])
    }

    func publish(_ events: [Event]) async throws {
        try await source.publish(events)
    }
}
