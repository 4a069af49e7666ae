/// What one event did to a process manager: ``ProcessManagerRunner/handle(_:)``'s answer.
public enum ProcessStepOutcome: String, Sendable, Hashable {
    /// The manager handled the event; the new state and its events are saved.
    case handled
    /// The instance had handled this event already (a redelivery); nothing changed.
    case duplicate
    /// The event belongs to no instance: no correlation key, or it does not start one.
    case ignored
    /// The event's instance has finished; nothing changed.
    case finished
    /// A timeout that was cancelled or replaced came due; nothing changed.
    case staleTimeout = "stale_timeout"
}
