/// What a schedule does about instants that passed while no scheduler ran (downtime, a failover).
public enum MissedFirePolicy: String, Sendable, Hashable, CaseIterable {
    /// Fire once, for the latest missed instant, then go on as usual.
    case fireOnce = "fire_once"
    /// Fire none of them; go on with the next instant.
    case skip

    /// How late an instant may be fired and still count as on time rather than missed: a scheduler that
    /// wakes this much after an instant (a busy machine, a slow store) fires it under either policy.
    public static let onTimeTolerance: Duration = .seconds(2)
}
