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
    func refusesOtherHostsUntilAPIKeysExist(host: String) {
        let error = #expect(throws: HeraldServerConfigurationError.self) {
            try HeraldServerConfiguration(host: host).validate()
        }
        #expect(error?.message.contains("'\(host)'") == true)
        #expect(error?.message.contains("API keys are not implemented yet") == true)
        #expect(error?.message.contains("127.0.0.1, ::1 or localhost") == true)
    }

    @Test func refusesAnOutOfRangePortOrBodyLimit() {
        #expect(throws: HeraldServerConfigurationError.self) { try HeraldServerConfiguration(port: 70_000).validate() }
        #expect(throws: HeraldServerConfigurationError.self) {
            try HeraldServerConfiguration(maxBodyBytes: 0).validate()
        }
    }
}
