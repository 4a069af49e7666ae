import Herald
import HeraldServer
import NIOHTTP1
import Testing

@Suite struct APIKeyTopicLimitTests {
    static let secret = "s3cret-with:colons-0001"

    @Test func theOldFormStillMeansEveryTopic() throws {
        let key = try APIKey(parsing: "ci:\(Self.secret):publish,subscribe")
        #expect(key.secret == Self.secret)
        #expect(key.scopes == [.publish, .subscribe])
        #expect(key.topicLimits.isEmpty)
        #expect(key.rateLimit == nil)
    }

    @Test func eachScopeMayBeLimitedToPatterns() throws {
        let key = try APIKey(parsing: "ci:\(Self.secret):publish=orders.>,subscribe=sensors.>|alerts.*,admin")
        #expect(key.name == "ci" && key.secret == Self.secret)
        #expect(key.scopes == Set(APIKey.Scope.all))
        #expect(key.topicLimits[.publish] == [try TopicPattern("orders.>")])
        #expect(key.topicLimits[.subscribe] == [try TopicPattern("sensors.>"), try TopicPattern("alerts.*")])
        #expect(key.topicLimits[.admin] == nil)
    }

    @Test func allLimitsEveryScopeAndRateGivesTheKeysOwnLimit() throws {
        let key = try APIKey(parsing: "ci:\(Self.secret):all=orders.>, rate=20/m")
        #expect(key.scopes == Set(APIKey.Scope.all))
        for scope in APIKey.Scope.all { #expect(key.topicLimits[scope] == [try TopicPattern("orders.>")]) }
        #expect(key.rateLimit == RateLimit(requests: 20, per: .seconds(60)))
    }

    @Test func keysInTheEnvironmentListKeepTheirLimits() throws {
        let keys = try APIKey.parseList("a:\(Self.secret)a:publish=x.>;b:\(Self.secret)b:subscribe")
        #expect(keys.map(\.name) == ["a", "b"])
        #expect(keys[0].topicLimits[.publish] == [try TopicPattern("x.>")])
    }

    @Test(arguments: [
        ("publish=orders..x", ["'publish'", "invalid topic pattern"]),
        ("publish=", ["'publish'", "invalid topic pattern"]),
        ("publish=orders.>|", ["invalid topic pattern"]),
        ("publish=orders.>,publish", ["'publish' twice"]),
        ("all,admin=x", ["'admin' twice"]),
        ("publish,rate=10/s,rate=5/s", ["'rate' twice"]),
        ("publish,rate=fast", ["'fast'", "N/s"]),
        ("publsh=orders.>", ["unknown scope 'publsh'"]),
        ("publish=orders:eu", ["unknown scope"]),
    ])
    func malformedLimitsAreRefusedSayingWhatAndHow(scopes: String, fragments: [String]) {
        #expect {
            try APIKey(parsing: "ci:\(Self.secret):\(scopes)")
        } throws: { error in
            let message = "\(error)"
            return fragments.allSatisfy(message.contains) && !message.contains(Self.secret)
        }
    }
}
