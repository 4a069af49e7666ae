import Logging
import Synchronization

/// What a handler and its middleware know about the call in progress.
public struct HandlerContext: Sendable {
    /// The name the handler was registered under.
    public var handlerName: String
    /// Which attempt this is, starting at 1; ``RetryMiddleware`` raises it on each retry.
    public var attempt: Int {
        didSet { attempts.record(attempt) }
    }
    /// A logger whose metadata carries the handler name, event id and correlation id.
    ///
    /// The metadata is added when the logger is read, so that an event whose handler and middleware log
    /// nothing does not pay for it.
    public var logger: Logger {
        get {
            guard let loggedEvent else { return baseLogger }
            var logger = baseLogger
            var metadata = logger.handler.metadata
            metadata["handler"] = "\(handlerName)"
            metadata["event_id"] = "\(loggedEvent.id)"
            metadata["correlation_id"] = "\(loggedEvent.correlationID)"
            // One assignment: a handler may redo its formatting on every change.
            logger.handler.metadata = metadata
            return logger
        }
        set {
            baseLogger = newValue
            loggedEvent = nil
        }
    }
    private var baseLogger: Logger
    /// The event whose ids ``logger`` adds to its metadata.
    private var loggedEvent: (id: String, correlationID: String)?
    /// Where middleware publishes events of its own, such as dead letters.
    public var publisher: any EventPublisher
    /// How many attempts the event's consumer group makes at most, when the event comes from a durable
    /// source (`Int.max` when the source does not say); `nil` on the in-process bus.
    ///
    /// A durable source delivers a failed event again by itself, after a delay that survives a restart, so
    /// middleware there does not wait in memory: ``RetryMiddleware`` throws a ``RedeliveryRequest``
    /// instead, until ``attempt`` reaches this limit.
    public var deliveryLimit: Int?
    /// The delivery being handled, with the event's sequence, when the event comes from a durable source;
    /// `nil` on the in-process bus.
    public var delivery: Delivery?
    /// Shared by every copy of the context made for one event, so that middleware outside the retry
    /// loop (dead letter) learns how many attempts were made inside it.
    private let attempts: AttemptTracker

    /// Creates a context; the router does this for every event it hands to a handler.
    public init(
        handlerName: String, attempt: Int = 1, logger: Logger, publisher: any EventPublisher, deliveryLimit: Int? = nil
    ) {
        self.handlerName = handlerName
        self.attempt = attempt
        self.baseLogger = logger
        self.publisher = publisher
        self.deliveryLimit = deliveryLimit
        self.attempts = AttemptTracker(attempt)
    }

    /// Creates the context of one handling of `event`: its ``logger`` is `logger` with the handler name, the
    /// event's id and its correlation id (its own id when it has none) in the metadata.
    package init(
        handlerName: String, handling event: Event, attempt: Int = 1, logger: Logger, publisher: any EventPublisher,
        deliveryLimit: Int? = nil
    ) {
        self.init(
            handlerName: handlerName, attempt: attempt, logger: logger, publisher: publisher,
            deliveryLimit: deliveryLimit)
        loggedEvent = (event.id, event.correlationID ?? event.id)
    }

    /// The highest attempt number any middleware or handler of this event's chain has seen so far.
    public var attemptsMade: Int { attempts.highest.load(ordering: .relaxed) }
}

private final class AttemptTracker: Sendable {
    let highest: Atomic<Int>

    init(_ attempt: Int) {
        highest = Atomic(attempt)
    }

    func record(_ attempt: Int) {
        _ = highest.max(attempt, ordering: .relaxed)
    }
}
