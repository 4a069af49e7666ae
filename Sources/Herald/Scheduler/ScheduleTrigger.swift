import Foundation

/// When a schedule fires: at a fixed interval, on a cron expression in a time zone, or once.
public enum ScheduleTrigger: Sendable, Hashable {
    /// Every `interval`, at `anchor + k × interval` for whole `k`: the instants never drift, however late a
    /// firing runs.
    case interval(Duration, anchor: Date)
    /// The instants a cron expression selects in a time zone (see ``CronExpression/next(after:in:)`` for
    /// daylight-saving changes).
    case cron(CronExpression, timeZone: TimeZone)
    /// Once, at this instant.
    case once(Date)

    /// The shortest interval accepted.
    public static let minimumInterval: Duration = .milliseconds(10)

    /// The first instant strictly after `date`, or `nil` when there is none (a single time that has passed,
    /// a cron expression that never matches).
    public func nextFire(after date: Date) -> Date? {
        switch self {
        case .interval(let interval, let anchor):
            let seconds = interval.timeInterval
            guard date >= anchor else { return anchor }
            let steps = ((date.timeIntervalSince(anchor)) / seconds).rounded(.down) + 1
            var next = anchor.addingTimeInterval(steps * seconds)
            // Floating-point rounding can land on `date` itself.
            if next <= date { next = next.addingTimeInterval(seconds) }
            return next
        case .cron(let expression, let timeZone):
            return expression.next(after: date, in: timeZone)
        case .once(let instant):
            return instant > date ? instant : nil
        }
    }

    /// The latest instant at or before `date` and at or after `earliest`, or `nil` when there is none: the
    /// one a late firing is for.
    ///
    /// Cron expressions are searched forward from `earliest`, at most ``searchLimit`` instants; after a
    /// downtime longer than that (months of a per-minute schedule) the search starts over from a day
    /// before `date`.
    public func latestFire(from earliest: Date, through date: Date) -> Date? {
        guard earliest <= date else { return nil }
        switch self {
        case .interval(let interval, let anchor):
            guard date >= anchor else { return nil }
            let seconds = interval.timeInterval
            let steps = (date.timeIntervalSince(anchor) / seconds).rounded(.down)
            let latest = anchor.addingTimeInterval(steps * seconds)
            return latest >= earliest ? latest : nil
        case .cron:
            var start = earliest.addingTimeInterval(-0.001)
            if date.timeIntervalSince(earliest) > 86_400 * 2 { start = date.addingTimeInterval(-86_400) }
            var latest: Date?
            var cursor = start
            for _ in 0..<Self.searchLimit {
                guard let next = nextFire(after: cursor), next <= date else { break }
                if next >= earliest { latest = next }
                cursor = next
            }
            return latest
        case .once(let instant):
            return instant >= earliest && instant <= date ? instant : nil
        }
    }

    /// The most instants ``latestFire(from:through:)`` steps through.
    public static let searchLimit = 5_000
}
