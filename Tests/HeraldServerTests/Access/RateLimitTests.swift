import Foundation
import Herald
import HeraldServer
import HeraldTesting
import NIOHTTP1
import Testing

@Suite struct RateLimitTests {
    @Test(arguments: [
        ("50/s", 50, Duration.seconds(1)), ("1/s", 1, .seconds(1)), ("600/m", 600, .seconds(60)),
        ("7/M", 7, .seconds(60)),
    ])
    func parsesRequestsPerSecondOrMinute(text: String, requests: Int, interval: Duration) throws {
        let limit = try RateLimit(parsing: text)
        #expect(limit == RateLimit(requests: requests, per: interval))
    }

    @Test(arguments: ["", "50", "0/s", "-1/s", "50/h", "fast/s", "1.5/s", "50/s/s", "2000000/s"])
    func refusesMalformedLimitsNamingTheForm(text: String) {
        #expect {
            try RateLimit(parsing: text)
        } throws: { error in
            "\(error)".contains("N/s or N/m") && "\(error)".contains("'50/s'")
        }
    }

    @Test func aBucketAllowsABurstThenRefillsAtTheRate() {
        let clock = TestClock()
        let limiter = RateLimiter(clock: clock.wallClock())
        let limit = RateLimit(requests: 3, per: .seconds(1))
        for _ in 0..<3 { #expect(limiter.acquire(key: "ci", limit: limit) == .allowed) }
        #expect(limiter.acquire(key: "ci", limit: limit) == .limited(retryAfterSeconds: 1))
        // Another key has its own bucket.
        #expect(limiter.acquire(key: "other", limit: limit) == .allowed)
        clock.advance(by: .milliseconds(340))
        #expect(limiter.acquire(key: "ci", limit: limit) == .allowed)
        #expect(limiter.acquire(key: "ci", limit: limit) == .limited(retryAfterSeconds: 1))
        // A long pause refills the bucket to its size, no more.
        clock.advance(by: .seconds(3600))
        for _ in 0..<3 { #expect(limiter.acquire(key: "ci", limit: limit) == .allowed) }
        #expect(limiter.acquire(key: "ci", limit: limit) != .allowed)
    }

    @Test func retryAfterIsTheWholeSecondsUntilTheNextToken() {
        let clock = TestClock()
        let limiter = RateLimiter(clock: clock.wallClock())
        let perMinute = RateLimit(requests: 2, per: .seconds(60))
        for _ in 0..<2 { #expect(limiter.acquire(key: "slow", limit: perMinute) == .allowed) }
        #expect(limiter.acquire(key: "slow", limit: perMinute) == .limited(retryAfterSeconds: 30))
        clock.advance(by: .seconds(29))
        #expect(limiter.acquire(key: "slow", limit: perMinute) == .limited(retryAfterSeconds: 1))
        clock.advance(by: .seconds(1))
        #expect(limiter.acquire(key: "slow", limit: perMinute) == .allowed)
    }

    @Test func aKeyOverItsLimitGets429WithRetryAfterAndIsCounted() async throws {
        let limited = try APIKey(parsing: "ci:ci-secret-0000000001:subscribe,rate=2/s")
        let defaulted = APIKey(name: "reader", secret: "reader-secret-00000002", scopes: [.subscribe])
        let admin = try APIKey(parsing: "ops:ops-secret-0000000003:all,rate=1000/s")
        var setup = AccessServer(keys: [limited, defaulted, admin])
        setup.configuration.rateLimit = RateLimit(requests: 1, per: .seconds(60))
        let server = setup
        try await server.run { client in
            for _ in 0..<2 { #expect(try await client.send(.GET, "/v1/events", key: limited).status == 200) }
            let refused = try await client.send(.GET, "/v1/events", key: limited)
            #expect(refused.status == 429)
            #expect(refused.headers["Retry-After"] == ["1"])
            let problem = try refused.problem
            #expect(problem.status == 429)
            #expect(problem.detail.contains("'ci'") && problem.detail.contains("2/s"))
            #expect(!problem.detail.contains(limited.secret))

            // The server-wide default holds keys without their own limit.
            #expect(try await client.send(.GET, "/v1/events", key: defaulted).status == 200)
            let defaultRefused = try await client.send(.GET, "/v1/events", key: defaulted)
            #expect(defaultRefused.status == 429)
            #expect(defaultRefused.headers["Retry-After"] == ["60"])

            // Requests that need no key are never limited.
            for _ in 0..<5 { #expect(try await client.send(.GET, "/healthz", key: nil).status == 200) }

            let metrics = try await client.send(.GET, "/metrics", key: admin)
            #expect(metrics.body.contains(#"herald_rate_limited_requests_total{key="ci"} 1"#))
            #expect(metrics.body.contains(#"herald_rate_limited_requests_total{key="reader"} 1"#))

            server.clock.advance(by: .seconds(1))
            #expect(try await client.send(.GET, "/v1/events", key: limited).status == 200)
        }
        let refusals = server.logs.records.filter { $0.message.contains("rate limit") }
        #expect(refusals.count == 2)
        #expect(Set(refusals.compactMap { $0.metadata["key"].map { "\($0)" } }) == ["ci", "reader"])
    }

    @Test func eachEventPublishedOverAWebSocketCounts() async throws {
        let key = try APIKey(parsing: "ws:ws-secret-00000000001:publish,subscribe,rate=2/s")
        let server = AccessServer(keys: [key])
        try await server.run { client in
            var answers: [[String: Any]] = []
            try await RawWebSocket.with(
                port: client.port, path: "/v1/ws?topic=none.yet", headers: [("Authorization", "Bearer \(key.secret)")]
            ) { socket in
                // The upgrade took the first token.
                for id in ["a", "b"] {
                    try await socket.send(text: String(decoding: accessEvent(id, type: "t").jsonData(), as: UTF8.self))
                    answers.append(try jsonObject(try #require(try await socket.nextText())))
                }
            }
            #expect(answers[0]["events"] != nil)
            #expect(answers[1]["status"] as? Int == 429)
        }
        #expect(try await server.store.lastSequence() == 1)
    }

    @Test func aDefaultLimitWithoutKeysIsRefused() {
        var configuration = HeraldServerConfiguration()
        configuration.rateLimit = RateLimit(requests: 5, per: .seconds(1))
        #expect {
            try configuration.validate()
        } throws: { error in
            "\(error)".contains("--rate-limit") && "\(error)".contains("--api-key")
        }
    }
}
