import Herald

/// One way of getting events from publishers to handlers, measured by the bus suite.
///
/// Each implementation is what a Swift developer would plausibly write with that tool, written plainly:
/// Herald's bus, an AsyncStream per subscriber, an AsyncChannel per subscriber, NotificationCenter.
protocol BusTarget: Sendable {
    /// The name in the results' `impl` column.
    static var name: String { get }
    /// Whether the implementation can run `scenario` at all (wildcards, keyed concurrency).
    static func supports(_ scenario: BusScenario) -> Bool
    /// Sets up the subscribers of `scenario`, each calling `handler` for every event it receives.
    init(scenario: BusScenario, handler: @escaping @Sendable (Event) -> Void) async throws
    /// Publishes one event from the calling task.
    func publish(_ event: Event) async throws
    /// Waits until every published event has reached its handlers, then tears down.
    func finish() async throws
}
