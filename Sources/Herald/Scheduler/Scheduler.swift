import Foundation
import Logging
import Metrics
import ServiceLifecycle

/// Fires the schedules of a ``ScheduleStore`` into an ``EventLog``: a ServiceLifecycle `Service` that one or
/// many nodes run, of which one at a time fires.
///
/// - **One firing node.** The scheduler that holds the lock ``Configuration/lockName`` (a lease of
///   ``Configuration/leaseDuration``, renewed on every pass) fires; the others wait to take over. When the
///   firing node dies, its lease runs out and another takes over within about one lease duration.
/// - **Exactly once.** Each firing appends ``EventTemplate/event(schedule:instant:)``, whose id is the same
///   for the same schedule and instant, so a firing repeated by accident (a stalled node that lost its lease,
///   a crash between the append and the record) is stored once by the log.
/// - **No drift.** Intervals count from their anchor; a late firing does not move the instants after it.
/// - **Missed instants.** After downtime a schedule fires once for the latest missed instant
///   (``MissedFirePolicy/fireOnce``) or not at all (``MissedFirePolicy/skip``); an instant fired within
///   ``MissedFirePolicy/onTimeTolerance`` counts as on time.
/// - **Time.** Every instant comes from the injected ``WallClock``, the same one the store uses for
///   `deliverat`, so a test clock runs months of schedule in milliseconds.
///
/// Changes made on this node (``wake()``) take effect at once; changes made on other nodes within
/// ``Configuration/refreshInterval``. Each due schedule counts in `herald_schedule_firings_total{schedule,
/// outcome}`: `fired` (a new event), `duplicate` (the log had it: a firing repeated by accident) or `skipped`
/// (missed instants under ``MissedFirePolicy/skip``).
public final class Scheduler: Service, Sendable {
    /// How the scheduler coordinates with other nodes.
    public struct Configuration: Sendable {
        /// The lock that elects the firing node; schedulers sharing a store and this name share the work.
        public var lockName: String
        /// This node's name in the lock: unique per running scheduler.
        public var owner: String
        /// How long the firing node's lease lasts unless renewed: how long a dead node can hold up firing.
        public var leaseDuration: Duration
        /// How often the scheduler looks at the store when nothing is due sooner: renews its lease, sees
        /// schedules changed elsewhere, or tries to take over. Must be under a third of ``leaseDuration``.
        public var refreshInterval: Duration

        /// Creates a configuration; the owner defaults to a new UUID.
        public init(
            lockName: String = "herald.scheduler",
            owner: String = UUID().uuidString,
            leaseDuration: Duration = .seconds(15),
            refreshInterval: Duration = .seconds(4)
        ) {
            self.lockName = lockName
            self.owner = owner
            self.leaseDuration = leaseDuration
            self.refreshInterval = refreshInterval
        }
    }

    private let log: any EventLog
    private let schedules: any ScheduleStore
    private let locks: any LockStore
    private let clock: any WallClock
    private let configuration: Configuration
    private let logger: Logger
    private let metricsFactory: any MetricsFactory
    private let changes = ChangeSignal()

    /// Creates a scheduler over a store that keeps events, schedules and locks, reading time from `clock`
    /// (pass the store's own).
    public convenience init(
        store: some EventLog & ScheduleStore & LockStore,
        clock: any WallClock = SystemWallClock(),
        configuration: Configuration = Configuration(),
        logger: Logger = Logger(label: "herald.scheduler"),
        metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        self.init(
            log: store, schedules: store, locks: store, clock: clock, configuration: configuration, logger: logger,
            metricsFactory: metricsFactory)
    }

    /// Creates a scheduler from separate stores.
    public init(
        log: any EventLog,
        schedules: any ScheduleStore,
        locks: any LockStore,
        clock: any WallClock = SystemWallClock(),
        configuration: Configuration = Configuration(),
        logger: Logger = Logger(label: "herald.scheduler"),
        metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        self.metricsFactory = metricsFactory
        self.log = log
        self.schedules = schedules
        self.locks = locks
        self.clock = clock
        self.configuration = configuration
        self.logger = logger
    }

    /// Makes a running scheduler look at the store now: call it after changing schedules on this node.
    public func wake() {
        changes.signal()
    }

    /// Fires until the task is cancelled or the service group shuts down gracefully; then gives up the lock
    /// so that another node takes over at once.
    ///
    /// A store that fails (a lost database) is logged and tried again on the next pass; it never ends the
    /// scheduler.
    public func run() async throws {
        let lease = await cancelWhenGracefulShutdown { await self.fireWhileRunning() }
        if let lease { _ = try? await locks.release(lease) }
    }

    /// The loop of ``run()``: returns the lease it last held when cancelled.
    private func fireWhileRunning() async -> LockLease? {
        var lease: LockLease?
        while !Task.isCancelled {
            let generation = changes.generation
            var wake = clock.now.adding(configuration.refreshInterval)
            do {
                lease = try await locks.acquire(
                    configuration.lockName,
                    owner: configuration.owner,
                    ttl: configuration.leaseDuration
                )
                if lease != nil, let next = try await fireDueSchedules() {
                    wake = min(wake, next)
                }
            } catch is CancellationError {
                break
            } catch {
                logger.error("the scheduler could not fire; trying again", metadata: ["error": "\(error)"])
            }
            do {
                try await changes.wait(after: generation, until: wake, clock: clock)
            } catch {
                break
            }
        }
        return lease
    }

    /// Fires every schedule that is due now, once; returns when the next one is due (`nil` when none is).
    ///
    /// ``run()`` calls it on every pass while this node holds the lock; tests call it directly after moving a
    /// test clock.
    @discardableResult
    public func fireDueSchedules() async throws -> Date? {
        let now = clock.now
        var earliest: Date?
        for stored in try await schedules.schedules() where !stored.schedule.isPaused {
            guard let due = stored.nextFireAt else { continue }
            guard due <= now else {
                earliest = min(earliest ?? due, due)
                continue
            }
            let next = try await fire(stored, now: now)
            if let next { earliest = min(earliest ?? next, next) }
        }
        return earliest
    }

    /// Fires one due schedule and records it; returns its next instant.
    private func fire(_ stored: StoredSchedule, now: Date) async throws -> Date? {
        let schedule = stored.schedule
        let due = stored.nextFireAt!
        let latest = schedule.trigger.latestFire(from: due, through: now) ?? due
        let onTime = now.timeIntervalSince(latest) <= MissedFirePolicy.onTimeTolerance.timeInterval
        let instant: Date? =
            switch schedule.missedFires {
            case .fireOnce: latest
            case .skip: onTime ? latest : nil
            }
        if let instant {
            let result = try await log.append(schedule.event.event(schedule: schedule.name, instant: instant))
            count(schedule.name, result.isDuplicate ? "duplicate" : "fired")
            logger.debug(
                "fired a schedule",
                metadata: ["schedule": "\(schedule.name)", "instant": "\(RFC3339.format(instant))"]
            )
        } else {
            count(schedule.name, "skipped")
            logger.info(
                "skipped missed instants of a schedule",
                metadata: ["schedule": "\(schedule.name)", "first": "\(RFC3339.format(due))"]
            )
        }
        let next: Date? =
            if case .once = schedule.trigger { nil } else { schedule.trigger.nextFire(after: max(now, latest)) }
        _ = try await schedules.recordScheduleFiring(
            named: schedule.name,
            revision: stored.revision,
            firedAt: instant,
            nextFireAt: next
        )
        return next
    }

    private func count(_ schedule: String, _ outcome: String) {
        Counter(
            label: "herald_schedule_firings_total", dimensions: [("schedule", schedule), ("outcome", outcome)],
            factory: metricsFactory
        ).increment()
    }
}
