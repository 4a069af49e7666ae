/// How many requests a key may make: `requests` per `interval`, written `N/s` or `N/m`.
///
/// Enforced as a token bucket (``RateLimiter``) that holds `requests` tokens and refills at `requests` per
/// `interval`: a key may burst up to `requests` at once, then goes on at the steady rate.
public struct RateLimit: Sendable, Hashable, CustomStringConvertible {
    /// The requests allowed per ``interval``, and the largest burst.
    public var requests: Int
    /// The interval ``requests`` are counted over: one second or one minute.
    public var interval: Duration

    /// Creates a limit of `requests` per `interval`.
    public init(requests: Int, per interval: Duration) {
        self.requests = requests
        self.interval = interval
    }

    /// Reads a limit written as `N/s` (per second) or `N/m` (per minute), with `N` a whole number of at least 1,
    /// the form of `--rate-limit` and of `rate=` in an API key.
    ///
    /// - Throws: ``HeraldServerConfigurationError`` saying what was given and how to write it.
    public init(parsing text: String) throws(HeraldServerConfigurationError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        let unit = parts.count == 2 ? parts[1].lowercased() : ""
        guard parts.count == 2, let requests = Int(parts[0]), requests >= 1, requests <= 1_000_000,
            let interval = Self.units[unit]
        else {
            throw HeraldServerConfigurationError(
                "rate limit '\(text.prefix(40))' is not N/s or N/m with N a whole number from 1 to 1000000; write "
                    + "it as in '50/s' (50 requests a second) or '600/m' (600 a minute)")
        }
        self.init(requests: requests, per: interval)
    }

    private static let units: [String: Duration] = ["s": .seconds(1), "m": .seconds(60)]

    /// Tokens added per second.
    var tokensPerSecond: Double {
        let components = interval.components
        return Double(requests) / (Double(components.seconds) + Double(components.attoseconds) * 1e-18)
    }

    /// The limit as written, `50/s` or `600/m`.
    public var description: String { "\(requests)/\(interval == .seconds(60) ? "m" : "s")" }
}
