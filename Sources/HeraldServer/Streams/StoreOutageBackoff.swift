import Herald

/// The waits between tries of a store that is unavailable for now (``EventLogError/Code/unavailable``, as
/// while its database restarts): 100 ms, doubled after each failure in a row, up to 2 s.
///
/// Streams wait an outage out instead of ending: they neither spin against the failing store nor fall far
/// behind once it is back. Call ``reset()`` after a success.
struct StoreOutageBackoff {
    /// The first wait of an outage.
    static let firstDelay = Duration.milliseconds(100)
    /// The longest wait between tries.
    static let maximumDelay = Duration.seconds(2)

    /// How long the next ``wait()`` sleeps.
    private(set) var nextDelay = firstDelay
    /// How many failures in a row came since the last success.
    private(set) var failures = 0

    /// Whether `error` says the store is unavailable for now, so that trying again later may succeed.
    static func isOutage(_ error: any Error) -> Bool {
        (error as? EventLogError)?.code == .unavailable
    }

    /// Counts one failure and sleeps for the current delay, doubling the next one.
    ///
    /// - Throws: `CancellationError` when the task is cancelled while it sleeps.
    mutating func wait() async throws {
        failures += 1
        try await Task.sleep(for: nextDelay)
        nextDelay = min(nextDelay * 2, Self.maximumDelay)
    }

    /// Starts over after a success: the next outage begins with the shortest wait.
    mutating func reset() {
        nextDelay = Self.firstDelay
        failures = 0
    }
}
