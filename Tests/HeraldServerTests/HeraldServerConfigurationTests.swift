import HeraldServer
import Testing

@Suite struct HeraldServerConfigurationTests {
    @Test func defaultsToLoopbackPort8080AndOneMebibyte() throws {
        let configuration = HeraldServerConfiguration()
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 8080)
        #expect(configuration.maxBodyBytes == 1_048_576)
        try configuration.validate()
    }

    @Test(arguments: ["127.0.0.1", "::1", "localhost"])
    func acceptsLoopbackHosts(host: String) throws {
        try HeraldServerConfiguration(host: host).validate()
    }

    @Test(arguments: ["0.0.0.0", "::", "192.168.1.10", "example.com"])
    func refusesOtherHostsWithoutAPIKeys(host: String) throws {
        let error = #expect(throws: HeraldServerConfigurationError.self) {
            try HeraldServerConfiguration(host: host).validate()
        }
        #expect(error?.message.contains("'\(host)' without API keys") == true)
        #expect(error?.message.contains("--api-key") == true)
        #expect(error?.message.contains("--allow-unauthenticated") == true)
        try HeraldServerConfiguration(host: host, apiKeys: [Self.key("a")]).validate()
        try HeraldServerConfiguration(host: host, allowUnauthenticated: true).validate()
    }

    @Test func refusesKeysThatShareANameOrASecretOrHaveNoScope() {
        let twiceNamed = #expect(throws: HeraldServerConfigurationError.self) {
            try HeraldServerConfiguration(apiKeys: [Self.key("a"), Self.key("a", secret: "other-secret-0123456")])
                .validate()
        }
        #expect(twiceNamed?.message.contains("'a' is given twice") == true)
        let sharedSecret = #expect(throws: HeraldServerConfigurationError.self) {
            try HeraldServerConfiguration(apiKeys: [Self.key("a"), Self.key("b")]).validate()
        }
        #expect(sharedSecret?.message.contains("same secret") == true)
        let noScope = #expect(throws: HeraldServerConfigurationError.self) {
            try HeraldServerConfiguration(apiKeys: [APIKey(name: "a", secret: "0123456789abcdef", scopes: [])])
                .validate()
        }
        #expect(noScope?.message.contains("no scopes") == true)
    }

    static func key(_ name: String, secret: String = "0123456789abcdef") -> APIKey {
        APIKey(name: name, secret: secret, scopes: [.publish])
    }

    @Test func refusesAnOutOfRangePortOrBodyLimit() throws {
        #expect(throws: HeraldServerConfigurationError.self) { try HeraldServerConfiguration(port: 70_000).validate() }
        #expect(throws: HeraldServerConfigurationError.self) {
            try HeraldServerConfiguration(maxBodyBytes: 65_535).validate()
        }
        try HeraldServerConfiguration(maxBodyBytes: 65_536).validate()
    }
}
