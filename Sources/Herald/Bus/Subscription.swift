import Metrics

/// A live subscription to an ``EventBus``: cancel it to stop receiving events.
///
/// Keep the value for as long as the subscription should live; dropping it does not cancel it (the bus
/// keeps handler subscriptions alive until ``cancel()`` or ``EventBus/removeAllSubscribers()``).
public final class Subscription: Sendable, CustomStringConvertible {
    /// The name from ``SubscriptionOptions/name``, or `subscription-N`.
    public let name: String
    /// The topic pattern the subscription matches.
    public let pattern: TopicPattern
    /// The options it was created with.
    public let options: SubscriptionOptions

    let id: UInt64
    let mailbox: Mailbox
    let droppedEvents: Counter
    let handlerErrors: Counter
    private let onCancel: @Sendable (UInt64) -> Void

    init(
        id: UInt64,
        name: String,
        pattern: TopicPattern,
        options: SubscriptionOptions,
        metricsFactory: any MetricsFactory,
        onCancel: @escaping @Sendable (UInt64) -> Void
    ) {
        self.id = id
        self.name = name
        self.pattern = pattern
        self.options = options
        self.mailbox = Mailbox(
            capacity: options.bufferCapacity,
            policy: options.backpressure,
            keyed: options.concurrency > 1
        )
        let dimensions = [("subscription", name)]
        self.droppedEvents = Counter(
            label: "herald_bus_dropped_events_total", dimensions: dimensions, factory: metricsFactory)
        self.handlerErrors = Counter(
            label: "herald_bus_handler_errors_total", dimensions: dimensions, factory: metricsFactory)
        self.onCancel = onCancel
    }

    /// Stops the subscription: no further events reach it, queued ones are discarded, and a handler call
    /// in progress finishes. Publishers waiting on its buffer return. Calling it again does nothing.
    public func cancel() {
        mailbox.discard()
        onCancel(id)
    }

    /// What the subscription has received and handled so far.
    public var statistics: SubscriptionStatistics {
        let counts = mailbox.counts
        return SubscriptionStatistics(
            accepted: Int(counts.accepted),
            completed: Int(counts.completed),
            failed: Int(counts.failed),
            dropped: Int(counts.dropped),
            buffered: counts.queued
        )
    }

    public var description: String { "Subscription(\(name), \(pattern))" }
}

/// Counts for one subscription, read with ``Subscription/statistics``.
public struct SubscriptionStatistics: Sendable, Hashable {
    /// Events that entered the buffer.
    public var accepted: Int
    /// Events done with: handled, failed, or dropped from the buffer by ``BackpressurePolicy/dropOldest``.
    public var completed: Int
    /// Handler calls that threw.
    public var failed: Int
    /// Events dropped by the backpressure policy (counted in the `herald_bus_dropped_events_total` metric too).
    public var dropped: Int
    /// Events waiting in the buffer now.
    public var buffered: Int
}
