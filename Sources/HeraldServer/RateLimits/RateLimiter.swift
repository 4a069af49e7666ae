import Foundation
import Herald
import Synchronization

/// Token buckets, one per key name, on an injectable clock: decides whether a key's request may go on now,
/// and if not, how long until it may.
///
/// Each bucket starts full, holding ``RateLimit/requests`` tokens, and refills continuously at the limit's rate;
/// a request takes one token. There are as many buckets as configured keys, so memory stays bounded. A clock that
/// goes backwards refills nothing rather than failing.
public final class RateLimiter: Sendable {
    /// What a request that was let through or refused learns.
    public enum Decision: Sendable, Hashable {
        /// The request may go on.
        case allowed
        /// The key is over its limit: the client may try again after this many whole seconds (at least 1).
        case limited(retryAfterSeconds: Int)
    }

    private struct Bucket {
        var tokens: Double
        var updated: Date
    }

    private let clock: any WallClock
    private let buckets = Mutex<[String: Bucket]>([:])

    /// Creates a limiter reading the time from `clock`.
    public init(clock: any WallClock = SystemWallClock()) {
        self.clock = clock
    }

    /// Takes a token from the bucket of `key` under `limit`, or says how long until one is there.
    public func acquire(key: String, limit: RateLimit) -> Decision {
        let now = clock.now
        let capacity = Double(limit.requests)
        let rate = limit.tokensPerSecond
        return buckets.withLock { buckets in
            var bucket = buckets[key] ?? Bucket(tokens: capacity, updated: now)
            let elapsed = max(0, now.timeIntervalSince(bucket.updated))
            bucket.tokens = min(capacity, bucket.tokens + elapsed * rate)
            bucket.updated = max(now, bucket.updated)
            defer { buckets[key] = bucket }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return .allowed
            }
            let wait = ((1 - bucket.tokens) / rate).rounded(.up)
            return .limited(retryAfterSeconds: max(1, Int(min(wait, Double(Int32.max)))))
        }
    }
}
