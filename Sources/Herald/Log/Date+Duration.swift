import Foundation

extension Date {
    /// This instant moved by `duration`, to the precision of `TimeInterval`.
    package func adding(_ duration: Duration) -> Date {
        addingTimeInterval(duration.timeInterval)
    }
}

extension Duration {
    /// The duration in seconds, for adding to a `Date`.
    package var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }

    /// The duration cut to a year, so that deadlines computed from a caller's wait or delay cannot overflow.
    package var clampedToAYear: Duration {
        min(self, .seconds(365 * 86_400))
    }
}
