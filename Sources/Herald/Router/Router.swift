import Logging
import Synchronization

/// Runs named handlers on an ``EventBus`` or on durable consumer groups, wraps them in middleware, and
/// publishes the events they return.
///
/// ```swift
/// let router = Router(bus: bus, middleware: [DeadLetterMiddleware(), RetryMiddleware()])
/// try router.addHandler("reserve-stock", subscribingTo: "orders.placed") { event, context in
///     [Event(source: "/stock", type: "stock.reserved")]
/// }
/// ```
///
/// A handler on a durable source (``addHandler(_:consuming:options:middleware:_:)``) runs on a
/// ``GroupConsumer`` with the same middleware, stamping and loop guard; there a failure is retried by the
/// group, durably, and the events the handler returns go to the source's store.
///
/// Events a handler returns are published with `causationid` set to the handled event's id,
/// `correlationid` carried from the first event of the chain, and `hops` one higher than the handled
/// event's; they are stamped as the handler returns them, so every middleware sees them stamped. The router's middleware runs outside each handler's own, the first of a list outermost;
/// ``LoopGuardMiddleware`` is always outermost, so a chain that feeds itself stops after
/// ``Configuration/maxHops`` handlers and the event that would exceed it is dead-lettered.
///
/// - Important: a handler that publishes to its own topic under ``BackpressurePolicy/suspend`` can wait on
///   its own full buffer. Give such subscriptions room (``SubscriptionOptions/bufferCapacity``) or a
///   dropping policy.
public final class Router: Sendable {
    /// Settings for every handler of the router.
    public struct Configuration: Sendable {
        /// The loop guard's limit: an event whose `hops` exceeds it is dead-lettered, not handled.
        public var maxHops: Int
        /// The logger handlers receive in their context, with handler and event metadata added.
        public var logger: Logger

        /// Creates a configuration; `maxHops` defaults to 16.
        public init(maxHops: Int = 16, logger: Logger = Logger(label: "herald.router")) {
            self.maxHops = maxHops
            self.logger = logger
        }
    }

    /// The bus handlers subscribe to and publish on.
    public let bus: EventBus
    /// The middleware around every handler, outermost first (after the loop guard).
    public let middleware: [any EventMiddleware]
    /// The router's settings.
    public let configuration: Configuration
    private let handlers = Mutex<[String: RegisteredHandler]>([:])

    private enum RegisteredHandler {
        case subscription(Subscription)
        case consumer(GroupConsumer)
    }

    /// Creates a router on `bus`; a router with durable handlers only can leave it out.
    public init(
        bus: EventBus = EventBus(), middleware: [any EventMiddleware] = [],
        configuration: Configuration = Configuration()
    ) {
        self.bus = bus
        self.middleware = middleware
        self.configuration = configuration
    }

    /// Adds a handler named `name` for events matching `pattern`.
    ///
    /// - Parameters:
    ///   - name: unique within the router; it names the handler in logs, metrics and dead letters.
    ///   - pattern: the topic pattern to subscribe to.
    ///   - options: the subscription's buffer, backpressure and concurrency.
    ///   - middleware: this handler's own middleware, inside the router's.
    /// - Throws: ``RouterError`` for a duplicate name; ``TopicPatternError`` for an invalid pattern.
    @discardableResult
    public func addHandler(
        _ name: String,
        subscribingTo pattern: String,
        options: SubscriptionOptions = SubscriptionOptions(),
        middleware handlerMiddleware: [any EventMiddleware] = [],
        _ handler: @escaping EventHandler
    ) throws -> Subscription {
        let chain = chain(handlerMiddleware, handler)
        var options = options
        options.name = options.name ?? name
        let bus = self.bus
        let logger = configuration.logger
        return try handlers.withLock { handlers in
            try Self.checkUnique(name, in: handlers)
            let subscription = try bus.subscribe(pattern, options: options) { event in
                let context = HandlerContext(handlerName: name, handling: event, logger: logger, publisher: bus)
                let caused = try await chain(event, context)
                guard !caused.isEmpty else { return }
                try await bus.publish(caused)
            }
            handlers[name] = .subscription(subscription)
            return subscription
        }
    }

    /// Adds a handler named `name` for the events of a durable consumer group: a local store's
    /// (``ConsumerGroupSource``) or a remote server's.
    ///
    /// The handler runs on the returned ``GroupConsumer``, a ServiceLifecycle `Service`: add it to the
    /// service group (or call its `run()`), and it consumes until shutdown. A handler that returns acknowledges
    /// its event, after the events it returned are published to the source; one that throws has it delivered
    /// again by the group, after ``RetryMiddleware``'s backoff when the chain has one, and dead-lettered after
    /// the group's last attempt. Of `options`, the group's settings (`start`, `maxAttempts`, `ackTimeout`,
    /// `ordered`) do not apply here: the source carries the group's own.
    ///
    /// - Throws: ``RouterError`` for a duplicate name.
    public func addHandler(
        _ name: String,
        consuming source: any DeliverySource,
        options: ConsumerOptions = ConsumerOptions(),
        middleware handlerMiddleware: [any EventMiddleware] = [],
        _ handler: @escaping EventHandler
    ) throws -> GroupConsumer {
        let consumer = GroupConsumer(
            name: name, source: source, options: options, logger: configuration.logger,
            handler: chain(handlerMiddleware, handler))
        try handlers.withLock { handlers in
            try Self.checkUnique(name, in: handlers)
            handlers[name] = .consumer(consumer)
        }
        return consumer
    }

    /// Removes the handler named `name`, cancelling its subscription or stopping its consumer; returns
    /// whether there was one.
    @discardableResult
    public func removeHandler(_ name: String) -> Bool {
        switch handlers.withLock({ $0.removeValue(forKey: name) }) {
        case .subscription(let subscription): subscription.cancel()
        case .consumer(let consumer): consumer.stop()
        case nil: return false
        }
        return true
    }

    /// The handler wrapped in the loop guard, the router's middleware and its own, in that order.
    private func chain(_ handlerMiddleware: [any EventMiddleware], _ handler: @escaping EventHandler) -> EventHandler {
        // Returned events are stamped innermost, so that middleware sees them as they will be published (a
        // signing middleware signs their causation and hops too).
        ([LoopGuardMiddleware(maxHops: configuration.maxHops)] + middleware + handlerMiddleware)
            .wrapping { event, context in try await handler(event, context).map { $0.caused(by: event) } }
    }

    private static func checkUnique(_ name: String, in handlers: [String: RegisteredHandler]) throws {
        guard handlers[name] == nil else {
            throw RouterError(message: "a handler named '\(name)' exists already; handler names must be unique")
        }
    }

    /// The names of the registered handlers, sorted.
    public var handlerNames: [String] {
        handlers.withLock { $0.keys.sorted() }
    }
}

/// A misuse of the ``Router``, with what to do instead.
public struct RouterError: Error, Hashable, CustomStringConvertible {
    /// What was wrong.
    public var message: String

    public var description: String { "RouterError: \(message)" }
}

extension Event {
    /// This event stamped as caused by `cause`: causation, correlation, and one more hop.
    public func caused(by cause: Event) -> Event {
        var event = self
        event.causationID = cause.id
        event.correlationID = cause.correlationID ?? cause.id
        event.hops = cause.hops + 1
        return event
    }
}
