import DequeModule
import Logging
import ServiceLifecycle
import Synchronization

/// The one consumer loop of a durable source: polls a ``DeliverySource``, runs a handler chain on each
/// delivery, acknowledges what succeeded and negatively acknowledges what failed. The router's durable
/// handlers, ``PersistentEventBus`` subscriptions and ``ProcessManagerRunner`` all run on it.
///
/// - **Concurrency.** ``ConsumerOptions/concurrency`` workers, each handling the events of its lane one at a
///   time. Events of one `partitionkey` (or of one key the owner chooses) share a lane, so they run one at
///   a time, in the order delivered; events without a key go to the least loaded lane.
/// - **Acknowledgements** ride on the next poll, which goes out as soon as a whole batch fits beside the
///   events in hand: a steady consumer holds about two batches, makes one round trip and at most one
///   durable commit per batch, and its handlers work while the poll is out. When no poll is
///   due (the group has no more events) they go out at once, batched while one is in progress.
/// - **Failures.** A handler that throws has its event negatively acknowledged: after the delay of a
///   ``RedeliveryRequest`` (``RetryMiddleware`` throws one on a durable source), or
///   ``ConsumerOptions/retryDelay``. The group counts the attempts and dead-letters the event after its
///   last.
/// - **Consume, transform, produce.** The events a handler returns are published through the source with
///   ``DeliverySource/complete(_:publishing:)``: on a local store in the same transaction as the
///   acknowledgement of their cause, so a crash leaves both or neither; on a remote source before it.
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
    /// What middleware publishes to: the source.
    private let publisher: any EventPublisher
    private let orderingKey: @Sendable (Event) -> String?
    private let logger: Logger
    /// Set by ``stop()`` at once, so that the loop takes no event after a stop it has not been woken for yet.
    private let stopRequested = Atomic(false)
    /// Where ``stop()`` wakes the running loop.
    private let wake = Mutex<AsyncStream<ConsumerStep>.Continuation?>(nil)

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
        precondition(
            options.pollsInFlight >= 1, "GroupConsumer: pollsInFlight \(options.pollsInFlight) must be at least 1")
        self.name = name
        self.source = source
        self.options = options
        self.logger = logger
        self.orderingKey = orderingKey
        self.handler = handler
        self.publisher = SourcePublisher(source: source)
    }

    /// Opens the source, then consumes until graceful shutdown, cancellation of the task or ``stop()``,
    /// and returns once every event in hand is settled.
    ///
    /// - Throws: what ``DeliverySource/open()`` throws; later store failures are logged and retried.
    public func run() async throws {
        let maxAttempts = try await source.open()
        // The loop runs in a task of its own, which cancelling this one does not cancel: a stop lets the
        // handlers finish and settles their events instead of failing them.
        let loop = Task { _ = await self.consume(maxAttempts: maxAttempts) }
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
        wake.withLock { _ = $0?.yield(.stopRequested) }
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
    ///
    /// Every child reports to the loop through one stream of steps: the store calls, the timers, and one
    /// worker per lane of ``ConsumerOptions/concurrency``, which handles its lane's events one at a time.
    private func consume(maxAttempts: Int?, once: Duration? = nil) async -> (Int, (any Error)?) {
        let (steps, sink) = AsyncStream.makeStream(of: ConsumerStep.self)
        if once == nil { wake.withLock { $0 = sink } }
        defer {
            if once == nil { wake.withLock { $0 = nil } }
            sink.finish()
        }
        let lanes = (0..<options.concurrency).map { _ in ConsumerLane() }
        return await withTaskGroup(of: Void.self) { group in
            for (index, lane) in lanes.enumerated() {
                group.addTask { await self.work(lane: index, lane, maxAttempts: maxAttempts, reporting: sink) }
            }
            var loop = ConsumerLoop(consumer: self, lanes: lanes, sink: sink, maxAttempts: maxAttempts, once: once)
            loop.advance(&group)
            if !loop.isFinished {
                for await step in steps {
                    loop.take(step, &group)
                    loop.advance(&group)
                    if loop.isFinished { break }
                }
            }
            for lane in lanes { lane.close() }
            group.cancelAll()
            return (loop.received, loop.pollFailure)
        }
    }

    /// Handles the events of one lane in order, reporting their outcomes when the lane runs dry, or every
    /// ``reportEvery`` events, until the lane closes.
    private func work(
        lane index: Int, _ lane: ConsumerLane, maxAttempts: Int?, reporting sink: AsyncStream<ConsumerStep>.Continuation
    ) async {
        var outcomes: [(Delivery, HandlingOutcome)] = []
        while true {
            var next = lane.popNow()
            if next == nil {
                if !outcomes.isEmpty {
                    sink.yield(.handled(lane: index, outcomes))
                    outcomes = []
                }
                next = await lane.next()
            }
            guard let delivery = next else { return }
            outcomes.append((delivery, await handle(delivery, maxAttempts: maxAttempts)))
            if outcomes.count >= Self.reportEvery {
                sink.yield(.handled(lane: index, outcomes))
                outcomes = []
            }
        }
    }

    /// How many outcomes a busy worker reports at once, so that acknowledgements keep flowing.
    static let reportEvery = 32

    fileprivate func handle(_ delivery: Delivery, maxAttempts: Int?) async -> HandlingOutcome {
        var context = HandlerContext(
            handlerName: name, handling: delivery.event, attempt: delivery.attempt, logger: logger,
            publisher: publisher, deliveryLimit: maxAttempts ?? Int.max)
        context.delivery = delivery
        do {
            let caused = try await handler(delivery.event, context)
            if caused.isEmpty { return .handled(acknowledged: false) }
            switch try await source.complete(delivery, publishing: caused) {
            case .acknowledged: return .handled(acknowledged: true)
            case .published: return .handled(acknowledged: false)
            case .superseded:
                logger.warning(
                    """
                    the event's lease ran out before its handler returned; another consumer handles it, and \
                    what this handler returned was not published
                    """,
                    metadata: ["handler": "\(name)", "event_id": "\(delivery.event.id)"])
                return .handled(acknowledged: true)
            }
        } catch {
            return .failed(error)
        }
    }

    fileprivate func key(of event: Event) -> String? { orderingKey(event) }

    fileprivate var isStopRequested: Bool { stopRequested.load(ordering: .acquiring) }

    fileprivate var log: Logger { logger }
}

/// How the handling of one delivery ended.
private enum HandlingOutcome: Sendable {
    /// The handler returned; `acknowledged` when nothing is left to settle (its events were published with the
    /// acknowledgement, or the delivery is another consumer's now).
    case handled(acknowledged: Bool)
    case failed(any Error)
}

/// What the children of the consumer's loop report to it.
private enum ConsumerStep: Sendable {
    case stopRequested
    case polled(Result<[Delivery], any Error>, acknowledging: [String])
    case acknowledged([String], (any Error)?)
    case nacked
    case handled(lane: Int, [(Delivery, HandlingOutcome)])
    case flushDue
    case pollRetryDue
    case drainOver
}

/// The events of one lane waiting for its worker, in the order delivered; events of one key always go to
/// the same lane, so they are handled one at a time, in order.
private final class ConsumerLane: Sendable {
    private struct State {
        var waiting: Deque<Delivery> = []
        var sleeper: CheckedContinuation<Delivery?, Never>?
        var closed = false
    }

    private let state = Mutex(State())

    /// Hands `deliveries` to the worker in order, waking it when it waits: once for the lot, so that a
    /// worker and the loop do not take turns event by event.
    func push(_ deliveries: some Collection<Delivery>) {
        guard let first = deliveries.first else { return }
        let sleeper = state.withLock { state -> CheckedContinuation<Delivery?, Never>? in
            guard let sleeper = state.sleeper else {
                state.waiting.append(contentsOf: deliveries)
                return nil
            }
            state.sleeper = nil
            state.waiting.append(contentsOf: deliveries.dropFirst())
            return sleeper
        }
        sleeper?.resume(returning: first)
    }

    /// The next waiting event, without waiting.
    func popNow() -> Delivery? {
        state.withLock { $0.waiting.popFirst() }
    }

    /// The next event, waiting for one; `nil` once the lane is closed.
    func next() async -> Delivery? {
        await withCheckedContinuation { continuation in
            let now = state.withLock { state -> Delivery?? in
                if let delivery = state.waiting.popFirst() { return .some(delivery) }
                if state.closed { return .some(nil) }
                state.sleeper = continuation
                return nil
            }
            if let now { continuation.resume(returning: now) }
        }
    }

    /// Removes and returns the events the worker has not started.
    func takeWaiting() -> [Delivery] {
        state.withLock { state in
            defer { state.waiting.removeAll() }
            return Array(state.waiting)
        }
    }

    /// Ends the lane: its worker returns once it has handled what it holds.
    func close() {
        let sleeper = state.withLock { state in
            state.closed = true
            defer { state.sleeper = nil }
            return state.sleeper
        }
        sleeper?.resume(returning: nil)
    }
}

/// The loop's state, changed only by the loop's task.
private struct ConsumerLoop {
    let consumer: GroupConsumer
    let lanes: [ConsumerLane]
    let sink: AsyncStream<ConsumerStep>.Continuation
    let maxAttempts: Int?
    let capacity: Int
    /// How many events each lane holds: waiting for its worker or being handled.
    var laneLoads: [Int]
    var held = 0
    var pendingAcks: [String] = []
    /// Polls out; acknowledgements made meanwhile wait for the next.
    var pollsOut = 0
    /// An acknowledgement of its own is out.
    var ackOut = false
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
    var polledOnce = false
    var received = 0
    var pollFailure: (any Error)?
    /// How long acknowledgements wait for the next poll at most.
    static let longestAckWait = Duration.milliseconds(200)

    init(
        consumer: GroupConsumer, lanes: [ConsumerLane], sink: AsyncStream<ConsumerStep>.Continuation,
        maxAttempts: Int?, once: Duration?
    ) {
        self.consumer = consumer
        self.lanes = lanes
        self.sink = sink
        self.maxAttempts = maxAttempts
        self.once = once
        self.laneLoads = Array(repeating: 0, count: lanes.count)
        self.capacity =
            consumer.options.batchSize * consumer.options.pollsInFlight
            + max(consumer.options.batchSize, consumer.options.concurrency)
    }

    /// Whether the loop polls again: until it stops, or after the one poll of a single run.
    var takesMore: Bool { !stopping && (once == nil || !polledOnce) }

    var isFinished: Bool {
        !takesMore && held == 0 && pollsOut == 0 && !ackOut && nacksOut == 0 && pendingAcks.isEmpty
    }

    mutating func take(_ step: ConsumerStep, _ group: inout TaskGroup<Void>) {
        switch step {
        case .stopRequested:
            guard !stopping else { return }
            stopping = true
            waitingPoll?.cancel()
            giveBackWaiting(&group)
            after(consumer.options.drainTimeout, .drainOver, &group)
        case .drainOver:
            // Cancels the handlers still running; the store calls run in tasks of their own and finish.
            if stopping && held > 0 {
                consumer.log.warning(
                    "handlers did not finish within the drain timeout; cancelling them",
                    metadata: ["handler": "\(consumer.name)", "running": "\(held)"])
                group.cancelAll()
            }
        case .polled(.success(let deliveries), _):
            pollsOut -= 1
            polledOnce = true
            received += deliveries.count
            waitingPoll = nil
            pollPause = .milliseconds(100)
            groupDrained = deliveries.isEmpty
            assign(deliveries)
            // A stop that came while the poll was out gives these back at once.
            if stopping { giveBackWaiting(&group) }
        case .polled(.failure(let error), let acknowledging):
            pollsOut -= 1
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
            after(pollPause, .pollRetryDue, &group)
            pollPause = min(pollPause * 2, .seconds(5))
        case .pollRetryDue:
            pollPausedUntilRetry = false
        case .acknowledged(let ids, let error):
            ackOut = false
            // The acknowledgements may have let more events go (the next of a key in an ordered group): the
            // next poll need not wait for the events in hand to be done.
            if error == nil { groupDrained = false }
            if let error {
                consumer.log.error(
                    "consumer could not acknowledge handled events; trying again",
                    metadata: ["handler": "\(consumer.name)", "error": "\(error)"])
                pendingAcks.append(contentsOf: ids)
                if !flushArmed {
                    flushArmed = true
                    after(pollPause, .flushDue, &group)
                }
            }
        case .nacked:
            nacksOut -= 1
        case .flushDue:
            flushArmed = false
            flushRequested = true
        case .handled(let lane, let outcomes):
            laneLoads[lane] -= outcomes.count
            held -= outcomes.count
            for (delivery, outcome) in outcomes {
                switch outcome {
                case .handled(acknowledged: true): break
                case .handled(acknowledged: false): pendingAcks.append(delivery.id)
                case .failed(let error): nack(delivery, error, &group)
                }
            }
        }
    }

    /// Sends the store call that is due.
    mutating func advance(_ group: inout TaskGroup<Void>) {
        if !stopping && once == nil && consumer.isStopRequested { take(.stopRequested, &group) }
        // The next poll goes out when room for a whole batch is free beside the events in hand and those
        // the polls out will bring, and carries the acknowledgements made since the last (about a batch),
        // while the workers handle what is in hand.
        let batchSize = consumer.options.batchSize
        let room = capacity - held - pollsOut * batchSize
        // With nothing in hand the poll waits for events, so it goes out only once the acknowledgements out
        // are made: it would otherwise wait for the events they let go.
        if takesMore && !pollPausedUntilRetry && pollsOut < consumer.options.pollsInFlight
            && ((held == 0 && pollsOut == 0 && !ackOut) || (room >= batchSize && !groupDrained))
        {
            poll(max: batchSize, &group)
        } else if !pendingAcks.isEmpty && !ackOut && pollsOut == 0 {
            if !takesMore || groupDrained || pollPausedUntilRetry || flushRequested {
                acknowledge(&group)
            } else if !flushArmed {
                // The next poll carries them once the events in hand are nearly done; should those take
                // long, the acknowledgements go on their own before their leases are at risk.
                flushArmed = true
                after(Self.longestAckWait, .flushDue, &group)
            }
        }
    }

    /// Gives each delivery to the lane of its key, or, without a key, to the least loaded lane.
    private mutating func assign(_ deliveries: [Delivery]) {
        var byLane = Array(repeating: [Delivery](), count: lanes.count)
        for delivery in deliveries {
            let lane: Int
            if let key = consumer.key(of: delivery.event) {
                lane = Int(UInt(bitPattern: key.hashValue) % UInt(lanes.count))
            } else {
                lane = laneLoads.indices.min { laneLoads[$0] < laneLoads[$1] } ?? 0
            }
            laneLoads[lane] += 1
            byLane[lane].append(delivery)
        }
        held += deliveries.count
        for (lane, deliveries) in byLane.enumerated() { lanes[lane].push(deliveries) }
    }

    /// Reports `step` after `delay`.
    private func after(_ delay: Duration, _ step: ConsumerStep, _ group: inout TaskGroup<Void>) {
        let sink = self.sink
        group.addTask {
            try? await Task.sleep(for: delay)
            sink.yield(step)
        }
    }

    private mutating func poll(max: Int, _ group: inout TaskGroup<Void>) {
        let acknowledging = pendingAcks
        pendingAcks = []
        flushRequested = false
        // Acknowledgements never wait in a poll: with some to make, the poll answers at once, and the
        // next, without them, waits.
        let wait =
            (held == 0 && pollsOut == 0 && !ackOut && acknowledging.isEmpty) ? once ?? consumer.options.pollWait : .zero
        let source = consumer.source
        let call = Task { try await source.poll(max: max, wait: wait, acknowledging: acknowledging) }
        waitingPoll = acknowledging.isEmpty && wait > .zero ? call : nil
        pollsOut += 1
        let sink = self.sink
        group.addTask { sink.yield(.polled(await call.result, acknowledging: acknowledging)) }
    }

    private mutating func acknowledge(_ group: inout TaskGroup<Void>) {
        let ids = pendingAcks
        pendingAcks = []
        flushRequested = false
        ackOut = true
        let source = consumer.source
        let sink = self.sink
        // In a task of its own, which cancelling the loop's children does not reach.
        let call = Task { try await source.ack(ids) }
        group.addTask {
            if case .failure(let error) = await call.result {
                sink.yield(.acknowledged(ids, error))
            } else {
                sink.yield(.acknowledged(ids, nil))
            }
        }
    }

    private mutating func nack(_ delivery: Delivery, _ error: any Error, _ group: inout TaskGroup<Void>) {
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

    /// Gives back the deliveries no worker has started, so that other consumers take them at once.
    private mutating func giveBackWaiting(_ group: inout TaskGroup<Void>) {
        var ids: [String] = []
        for (index, lane) in lanes.enumerated() {
            let waiting = lane.takeWaiting()
            laneLoads[index] -= waiting.count
            held -= waiting.count
            ids += waiting.map(\.id)
        }
        guard !ids.isEmpty else { return }
        settleNegatively(ids, delay: .zero, error: "the consumer stopped before handling the event", &group)
    }

    private mutating func settleNegatively(
        _ ids: [String], delay: Duration, error reason: String, _ group: inout TaskGroup<Void>
    ) {
        nacksOut += 1
        let source = consumer.source
        let logger = consumer.log
        let name = consumer.name
        let sink = self.sink
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
            sink.yield(.nacked)
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
