import Foundation
import Herald

extension TestClock {
    /// This clock as a ``WallClock`` for stores and schedulers: its instant zero is `epoch`, and
    /// advancing the test clock advances the wall clock by the same amount.
    public func wallClock(epoch: Date = Date(timeIntervalSince1970: 1_767_225_600)) -> TestWallClock {
        TestWallClock(clock: self, epoch: epoch)
    }
}

/// A ``TestClock`` seen as a ``WallClock``.
public struct TestWallClock: WallClock {
    /// The test clock behind it.
    public let clock: TestClock
    /// The date of the test clock's instant zero.
    public let epoch: Date

    public var now: Date {
        epoch.addingTimeInterval(clock.now.offset.timeInterval)
    }

    public func sleep(until deadline: Date) async throws {
        // Deadlines beyond about 290 years from the epoch (a year-9999 `deliverat`, say) wait as if for ever.
        let nanoseconds = (deadline.timeIntervalSince(epoch) * 1e9).rounded(.up)
        let offset = Duration.nanoseconds(Int64(max(-9e18, min(nanoseconds, 9e18))))
        try await clock.sleep(until: TestClock.Instant(offset: offset))
    }
}

extension Duration {
    fileprivate var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
