import Synchronization

/// Counts the events of each type the server observes, in one-second buckets over the last minute, to
/// give each type's recent rate.
///
/// The rate of a type is the number of its events recorded in the last ``window`` divided by the window,
/// or by the time since the tracker started when that is shorter (at least one second), so that a server
/// that just started does not under-report. Only events recorded after the tracker started count: the
/// rates describe what this process observed, not the log's history.
///
/// Memory is bounded: at most ``maximumTypesPerSecond`` distinct types are counted in any one second;
/// events of further types in that second are left out of the rates.
public final class TopicRateTracker: Sendable {
    /// How far back rates look.
    public static let window: Duration = .seconds(60)
    /// The most distinct types counted in one second.
    public static let maximumTypesPerSecond = 10_000

    private static let bucketCount = 60

    private struct Bucket {
        var second: Int64 = -1
        var counts: [String: Int] = [:]
    }

    private struct State {
        var buckets = Array(repeating: Bucket(), count: TopicRateTracker.bucketCount)
    }

    private let startedAt: ContinuousClock.Instant
    private let state = Mutex(State())

    /// Creates a tracker whose window starts at `start`.
    public init(startingAt start: ContinuousClock.Instant = .now) {
        self.startedAt = start
    }

    /// Records one event of `type` observed at `instant`.
    public func record(_ type: String, at instant: ContinuousClock.Instant = .now) {
        let second = Self.wholeSeconds(instant - startedAt)
        guard second >= 0 else { return }
        state.withLock { state in
            let index = Int(second % Int64(Self.bucketCount))
            if state.buckets[index].second != second {
                state.buckets[index] = Bucket(second: second)
            }
            guard
                state.buckets[index].counts[type] != nil
                    || state.buckets[index].counts.count < Self.maximumTypesPerSecond
            else { return }
            state.buckets[index].counts[type, default: 0] += 1
        }
    }

    /// Events per second of each type recorded in the last minute, as of `instant`; types without events
    /// in that time are absent.
    public func ratesPerSecond(at instant: ContinuousClock.Instant = .now) -> [String: Double] {
        let elapsed = instant - startedAt
        let current = Self.wholeSeconds(elapsed)
        let totals = state.withLock { state in
            var totals: [String: Int] = [:]
            for bucket in state.buckets
            where bucket.second > current - Int64(Self.bucketCount) && bucket.second <= current {
                totals.merge(bucket.counts, uniquingKeysWith: +)
            }
            return totals
        }
        let seconds = min(Self.window, max(.seconds(1), elapsed))
        let (whole, fraction) = seconds.components
        let divisor = Double(whole) + Double(fraction) / 1e18
        return totals.mapValues { Double($0) / divisor }
    }

    private static func wholeSeconds(_ duration: Duration) -> Int64 {
        duration.components.seconds
    }
}
