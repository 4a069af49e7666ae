import Foundation

/// What one step of a ``ProcessManager`` does besides changing its state: the events it publishes, the timeouts
/// it sets or cancels, and whether the instance finishes.
///
/// Nothing happens until the step's state is saved: then its events are appended to the log in the same
/// transaction. Events made here get ids derived from the manager, the instance and the event being handled,
/// so a step that is repeated after a crash publishes the same ids, which the log stores once.
public struct ProcessActions {
    /// The correlation key of the instance being handled.
    public let key: String
    /// The time of this step, by the runner's clock.
    public let now: Date
    /// Timeouts the instance waits for, by name, before this step's changes.
    public private(set) var pendingTimeouts: Set<String>

    let process: String
    let cause: StoredEvent
    private(set) var events: [Event] = []
    private(set) var requestedTimeouts: [String: String] = [:]
    private(set) var cancelledTimeouts: Set<String> = []
    private(set) var finishes = false

    init(process: String, key: String, now: Date, cause: StoredEvent, pendingTimeouts: Set<String>) {
        self.process = process
        self.key = key
        self.now = now
        self.cause = cause
        self.pendingTimeouts = pendingTimeouts
    }

    /// The source of the events the manager publishes: `/herald/process/NAME`.
    public var source: String { "/herald/process/\(process)" }

    /// Publishes `payload` as an event of type `P.eventType` from ``source``, with a deterministic id, the
    /// instance's key as `subject` unless given, and causation and correlation from the event being handled.
    ///
    /// - Parameter partitionKey: the ordering key of the new event, for consumers in ordered mode.
    /// - Throws: `EncodingError` when the payload cannot be expressed in JSON.
    public mutating func publish<P: EventPayload>(_ payload: P, subject: String? = nil, partitionKey: String? = nil)
        throws
    {
        var event = try Event(payload, source: source, id: nextID(), subject: subject ?? key)
        event.partitionKey = partitionKey
        events.append(event.caused(by: cause.event))
    }

    /// Publishes `event` as it is, apart from causation and correlation, which come from the event being
    /// handled. Give it an id that is the same when the step repeats, or a repeated step publishes it twice.
    public mutating func publish(_ event: Event) {
        events.append(event.caused(by: cause.event))
    }

    /// Sets the timeout `name`: `payload` is published now to be delivered `delay` from now (delayed delivery,
    /// the log's `deliverat`), and is handed to ``ProcessManager/handle(_:state:actions:)`` then unless the
    /// timeout was cancelled or set again in the meantime. Setting a pending timeout again replaces it.
    ///
    /// `P.eventType` must be within the manager's ``ProcessManager/topic``, or the step fails with
    /// ``ProcessManagerError``.
    public mutating func requestTimeout<P: EventPayload>(_ name: String, after delay: Duration, _ payload: P) throws {
        var event = try Event(payload, source: source, id: nextID(), subject: key)
        event.deliverAt = now.adding(delay)
        event.extensions[ProcessTimeout.processExtension] = .string(process)
        event.extensions[ProcessTimeout.keyExtension] = .string(key)
        event.extensions[ProcessTimeout.nameExtension] = .string(name)
        events.append(event.caused(by: cause.event))
        requestedTimeouts[name] = event.id
        cancelledTimeouts.remove(name)
        pendingTimeouts.insert(name)
    }

    /// Cancels the timeout `name`: when its event comes, it is ignored. Does nothing when none is pending.
    public mutating func cancelTimeout(_ name: String) {
        requestedTimeouts[name] = nil
        cancelledTimeouts.insert(name)
        pendingTimeouts.remove(name)
    }

    /// Finishes the instance once this step is saved: its pending timeouts are dropped, and later events for
    /// its key are ignored.
    public mutating func finish() {
        finishes = true
    }

    /// An id unique to this manager, instance, handled event and position in the step.
    private func nextID() -> String {
        "\(process):\(key):\(cause.sequence).\(events.count)"
    }
}

/// The extension attributes that mark a process manager's timeout events.
enum ProcessTimeout {
    /// The manager that set the timeout.
    static let processExtension = "heraldprocess"
    /// The instance that set the timeout.
    static let keyExtension = "heraldprocesskey"
    /// The timeout's name.
    static let nameExtension = "heraldtimeout"
}
