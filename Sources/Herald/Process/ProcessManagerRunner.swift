import Foundation
import Logging
import Metrics
import ServiceLifecycle

/// Runs a ``ProcessManager``: a ServiceLifecycle `Service` that polls the manager's consumer group and handles
/// each event as one step, whose new state and published events are saved atomically in a ``ProcessStore``.
///
/// - **Consumer group.** `process.NAME`, on the manager's topic, created when missing (from
///   ``Configuration/start``). Runners on several nodes with one database share it, so each event is in flight
///   on one node at a time.
/// - **Optimistic concurrency.** A step loads the instance, handles the event and saves at the version it
///   loaded. When another node saved the instance first (two events of one order on two nodes), the step is
///   repeated on the new state, up to ``Configuration/conflictRetries`` times, then redelivered.
/// - **Exactly-once effect.** Each instance remembers the sequences of the events it handled, so a redelivered
///   event (an acknowledgement lost in a crash) changes nothing; a step's events have deterministic ids, so a
///   step repeated after a crash between save and acknowledgement is published once.
/// - **Failures.** A step that throws is not saved; its event is negatively acknowledged and comes back after
///   ``ConsumerOptions/retryDelay``, until the group's attempts run out and it is dead lettered. Other instances
///   go on.
/// - **Metrics.** `herald_process_steps_total{process, outcome}` counts steps by ``ProcessStepOutcome``, plus
///   `outcome="failed"`; `herald_process_conflicts_total{process}` counts repeated steps.
public struct ProcessManagerRunner<Manager: ProcessManager>: Service {
    /// How the runner consumes and retries.
    public typealias Configuration = ProcessManagerRunnerConfiguration

    /// The manager this runner feeds.
    public let manager: Manager
    private let groups: any ConsumerGroupStore
    private let processes: any ProcessStore
    private let clock: any WallClock
    private let configuration: Configuration
    private let logger: Logger
    private let metricsFactory: any MetricsFactory
    private let topic: Result<TopicPattern, TopicPatternError>

    /// Creates a runner of `manager` that consumes from `groups` and keeps state in `processes`: usually one
    /// store that is both, such as an `SQLiteEventStore` or a `PostgresEventStore`.
    ///
    /// - Parameter clock: the time steps see (``ProcessActions/now``) and timeouts count from; pass the store's
    ///   clock.
    public init(
        _ manager: Manager,
        groups: any ConsumerGroupStore,
        processes: any ProcessStore,
        clock: any WallClock = SystemWallClock(),
        configuration: Configuration = Configuration(),
        logger: Logger = Logger(label: "herald.process"),
        metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        self.manager = manager
        self.groups = groups
        self.processes = processes
        self.clock = clock
        self.configuration = configuration
        self.logger = logger
        self.metricsFactory = metricsFactory
        self.topic = Result { () throws(TopicPatternError) in try TopicPattern(manager.topic) }
    }

    /// The consumer group the runner reads: `process.NAME`.
    public var groupName: String { "process.\(manager.name)" }

    /// Creates the consumer group when missing, then handles events until the task is cancelled or the service
    /// group shuts down gracefully, on a ``GroupConsumer``: instances side by side (up to
    /// ``ProcessManagerRunnerConfiguration/concurrency``), the events of one instance one at a time in order.
    ///
    /// - Throws: ``EventLogError`` when the group exists with other settings, or the manager's name is invalid;
    ///   ``TopicPatternError`` when its topic is.
    ///
    /// A store that fails while the runner runs (a database restarting) does not stop it: it logs the error
    /// and tries again after a pause that grows from 100 ms to 5 s.
    public func run() async throws {
        try await consumer().run()
    }

    /// Creates the consumer group when missing.
    public func createGroup() async throws {
        _ = try await source().open()
    }

    /// Polls once, waiting up to `wait` for events, handles what came and settles it; returns how many events
    /// came.
    @discardableResult
    public func runOnce(wait: Duration = .zero) async throws -> Int {
        try await consumer().runOnce(wait: wait, maxAttempts: configuration.maxAttempts)
    }

    private func source() throws -> ConsumerGroupSource {
        ConsumerGroupSource(
            groups: groups,
            configuration: configuration.consumer.groupConfiguration(name: groupName, topic: try topic.get()))
    }

    /// The consumer of the group: each event is one step, keyed by its instance, and never returns events (a
    /// step saves them with its state).
    private func consumer() throws -> GroupConsumer {
        GroupConsumer(
            name: groupName, source: try source(), options: configuration.consumer, logger: logger,
            orderingKey: { event in correlationKey(of: event) }
        ) { event, context in
            guard let delivery = context.delivery else {
                throw ProcessManagerError(
                    "process '\(manager.name)' was handed event '\(event.id)' without its delivery")
            }
            do {
                _ = try await handle(delivery)
            } catch {
                count("failed")
                throw error
            }
            return []
        }
    }

    /// Handles one delivered event: loads its instance, applies the manager and saves, repeating on version
    /// conflicts. Does not acknowledge it; the runner's consumer does.
    ///
    /// - Throws: what the manager throws; ``ProcessManagerError`` when the stored state cannot be read as
    ///   `Manager.State`, a timeout's type is outside the manager's topic, or conflicts persist; ``EventLogError``
    ///   from the store.
    public func handle(_ delivery: Delivery) async throws -> ProcessStepOutcome {
        let outcome = try await step(delivery)
        count(outcome.rawValue)
        return outcome
    }

    private func step(_ delivery: Delivery) async throws -> ProcessStepOutcome {
        let event = delivery.event
        guard let key = correlationKey(of: event) else { return .ignored }
        for _ in 0..<max(1, configuration.conflictRetries) {
            let record = try await processes.processRecord(manager.name, key: key)
            var document: ProcessDocument<Manager.State>
            if let record {
                if record.isFinished { return .finished }
                do {
                    document = try ProcessDocument.decode(record.document)
                } catch {
                    throw ProcessManagerError(
                        "the stored state of process '\(manager.name)' instance '\(key)' cannot be read as "
                            + "\(Manager.State.self): \(error). Keep State compatible with what earlier versions "
                            + "stored, or migrate the records")
                }
            } else {
                guard let initial = try manager.start(with: event) else { return .ignored }
                document = ProcessDocument(state: initial)
            }
            if document.handled.contains(delivery.sequence) { return .duplicate }
            if let timeout = event.extensions[ProcessTimeout.nameExtension]?.textValue,
                event.extensions[ProcessTimeout.processExtension]?.textValue == manager.name
            {
                guard document.timeouts[timeout] == event.id else { return .staleTimeout }
                document.timeouts[timeout] = nil
            }
            var actions = ProcessActions(
                process: manager.name, key: key, now: clock.now, cause: delivery.stored,
                pendingTimeouts: Set(document.timeouts.keys))
            var state = document.state
            try manager.handle(event, state: &state, actions: &actions)
            let pattern = try topic.get()
            for output in actions.events
            where output.extensions[ProcessTimeout.nameExtension] != nil && !pattern.matches(output.type) {
                throw ProcessManagerError(
                    "process '\(manager.name)' set a timeout of type '\(output.type)', which its topic "
                        + "'\(manager.topic)' does not match, so it would never come back: give the timeout a "
                        + "type within the topic")
            }
            document.state = state
            document.recordHandled(delivery.sequence)
            for name in actions.cancelledTimeouts { document.timeouts[name] = nil }
            for (name, id) in actions.requestedTimeouts { document.timeouts[name] = id }
            if actions.finishes { document.timeouts = [:] }
            do {
                try await processes.saveProcess(
                    manager.name, key: key, document: try document.encoded(), isFinished: actions.finishes,
                    expectedVersion: record?.version ?? 0, publishing: actions.events)
                return .handled
            } catch let error as EventLogError where error.code == .versionConflict {
                Counter(
                    label: "herald_process_conflicts_total", dimensions: [("process", manager.name)],
                    factory: metricsFactory
                ).increment()
                continue
            }
        }
        throw ProcessManagerError(
            "process '\(manager.name)' instance '\(key)' kept changing under this step "
                + "\(configuration.conflictRetries) times; the event will be delivered again")
    }

    /// The instance an event belongs to: a timeout names its own; other events ask the manager.
    private func correlationKey(of event: Event) -> String? {
        if let process = event.extensions[ProcessTimeout.processExtension]?.textValue,
            event.extensions[ProcessTimeout.nameExtension] != nil
        {
            guard process == manager.name else { return nil }
            return event.extensions[ProcessTimeout.keyExtension]?.textValue
        }
        return manager.correlationKey(of: event)
    }

    private func count(_ outcome: String) {
        Counter(
            label: "herald_process_steps_total", dimensions: [("process", manager.name), ("outcome", outcome)],
            factory: metricsFactory
        ).increment()
    }
}

extension ProcessRecord {
    /// The manager state stored in this record by a ``ProcessManagerRunner``, decoded as `type` (the manager's
    /// `State`): for reports and dashboards that read process instances.
    ///
    /// - Throws: `DecodingError` when the record was not written by a runner of a manager with this state.
    public func state<State: Codable & Sendable>(as type: State.Type) throws -> State {
        try ProcessDocument<State>.decode(document).state
    }
}
