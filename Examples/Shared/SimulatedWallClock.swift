import Foundation
import Herald
import Synchronization

/// A clock for simulations: sleeping moves its time to the deadline at once, so an hour of readings
/// or schedules runs in a moment, with the same timestamps on every run.
///
/// Give it to code that paces itself with ``WallClock/sleep(until:)``; the demos use it when asked to
/// run on simulated time, and their tests always do.
public final class SimulatedWallClock: WallClock {
    private let current: Mutex<Date>

    /// Creates a clock whose time starts at `start`.
    public init(start: Date) {
        current = Mutex(start)
    }

    public var now: Date { current.withLock { $0 } }

    /// Moves the time to `deadline` (never backwards) and returns; throws `CancellationError` when the
    /// task is cancelled.
    public func sleep(until deadline: Date) async throws {
        try Task.checkCancellation()
        current.withLock { $0 = max($0, deadline) }
        await Task.yield()
    }
}
