import DequeModule
import Logging
import Synchronization

/// Drops an event the handler already handled: same `source` and `id` within a time window.
///
/// An event is remembered once the next handler returns for it, for `window` from then; a repeat within
/// the window returns no events without calling the next handler. A handling that throws is forgotten,
/// so a retry or redelivery gets handled. While an event is being handled, a concurrent copy of it is
/// dropped too, so the handler never runs twice at once for one event; if the first handling then fails,
/// the copy is not handled.
///
/// Memory is bounded: at most `maxEntries` handled events are remembered, and remembering one more
/// forgets the oldest. Expired entries are forgotten lazily, when the middleware is next used.
///
/// Events are remembered per handler name, so one instance can wrap several handlers.
public struct DeduplicateMiddleware: EventMiddleware {
    /// How long a handled event is remembered.
    public let window: Duration
    /// How many handled events are remembered at most.
    public let maxEntries: Int
    private let clock: ElapsedClock
    private let memory: Memory

    /// Creates a deduplicating middleware remembering up to `maxEntries` events for `window` each, on
    /// `clock`.
    public init(
        window: Duration = .seconds(600),
        maxEntries: Int = 100_000,
        clock: any Clock<Duration> = ContinuousClock()
    ) {
        precondition(window > .zero, "DeduplicateMiddleware: window \(window) must be positive")
        precondition(maxEntries >= 1, "DeduplicateMiddleware: maxEntries \(maxEntries) must be at least 1")
        self.window = window
        self.maxEntries = maxEntries
        self.clock = ElapsedClock(clock)
        self.memory = Memory()
    }

    /// How many handled events are remembered now, counting expired ones not yet forgotten.
    public var rememberedCount: Int {
        memory.state.withLock { $0.handled.count }
    }

    public func handle(_ event: Event, context: HandlerContext, next: EventHandler) async throws -> [Event] {
        let key = Key(handlerName: context.handlerName, source: event.source, id: event.id)
        let isNew = memory.state.withLock { state in
            state.forgetExpired(now: clock.now())
            guard state.expiries[key] == nil else { return false }
            return state.inProgress.insert(key).inserted
        }
        guard isNew else {
            context.logger.debug("dropped a repeated event", metadata: ["event_id": "\(event.id)"])
            return []
        }
        do {
            let events = try await next(event, context)
            memory.state.withLock { state in
                state.inProgress.remove(key)
                state.remember(key, until: clock.now() + window, maxEntries: maxEntries)
            }
            return events
        } catch {
            _ = memory.state.withLock { $0.inProgress.remove(key) }
            throw error
        }
    }

    private struct Key: Hashable {
        var handlerName: String
        var source: String
        var id: String
    }

    private struct State {
        /// When each remembered event expires.
        var expiries: [Key: Duration] = [:]
        /// Remembered events, oldest first; expiry times grow along it because the window is fixed.
        var handled: Deque<(key: Key, expiry: Duration)> = []
        var inProgress: Set<Key> = []

        mutating func forgetExpired(now: Duration) {
            while let oldest = handled.first, oldest.expiry <= now {
                forgetOldest()
            }
        }

        mutating func remember(_ key: Key, until expiry: Duration, maxEntries: Int) {
            // A key is remembered only after a handling that began while it was absent, so it is never
            // in `handled` twice.
            while handled.count >= maxEntries { forgetOldest() }
            expiries[key] = expiry
            handled.append((key, expiry))
        }

        private mutating func forgetOldest() {
            let oldest = handled.removeFirst()
            expiries[oldest.key] = nil
        }
    }

    /// The state every copy of the middleware shares.
    private final class Memory: Sendable {
        let state = Mutex(State())
    }
}
