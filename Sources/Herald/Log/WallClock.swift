import Foundation

/// The time of durable stores and the scheduler: wall-clock instants, and waiting until one.
///
/// `deliverat` times, leases, redelivery delays and retention ages are all read from one `WallClock`,
/// so a test clock (HeraldTesting's `TestClock`) moves them together.
public protocol WallClock: Sendable {
    /// The current time.
    var now: Date { get }
    /// Suspends until `deadline` has passed on this clock; throws `CancellationError` when cancelled.
    func sleep(until deadline: Date) async throws
}

/// The system's wall clock.
public struct SystemWallClock: WallClock {
    /// Creates the system clock.
    public init() {}

    public var now: Date { Date() }

    /// Sleeps in steps of at most a day, so that any deadline a `Date` can hold works: one in the year 9999 (which
    /// RFC 3339 allows in a schedule's `at` or an event's `deliverat`) is more nanoseconds away than `Int64` holds.
    public func sleep(until deadline: Date) async throws {
        while case let interval = deadline.timeIntervalSinceNow, interval > 0 {
            try await Task.sleep(for: .nanoseconds(Int64(min(interval, 86_400) * 1e9)))
        }
    }
}
