import HTTPTypes
import HeraldServer
import Testing

@Suite struct APIKeyTests {
    static let secret = "s3cr3t-s3cr3t-s3cr3t"

    @Test func parsesNameSecretAndScopes() throws {
        let key = try APIKey(parsing: "ci:\(Self.secret):publish,subscribe")
        #expect(key == APIKey(name: "ci", secret: Self.secret, scopes: [.publish, .subscribe]))
    }

    @Test func allGrantsEveryScopeAndCaseAndSpacesDoNotMatter() throws {
        #expect(try APIKey(parsing: "ops:\(Self.secret):all").scopes == Set(APIKey.Scope.all))
        #expect(try APIKey(parsing: "ops:\(Self.secret):Publish, ADMIN").scopes == [.publish, .admin])
    }

    @Test func aSecretMayContainColons() throws {
        let key = try APIKey(parsing: "ci:abc:def:ghi:jkl:mnop:qr:admin")
        #expect(key.name == "ci")
        #expect(key.secret == "abc:def:ghi:jkl:mnop:qr")
        #expect(key.scopes == [.admin])
    }

    @Test(arguments: [
        ("ci-\(secret)-publish", "fewer than three"),
        ("ci:\(secret)", "fewer than three"),
        (":\(secret):publish", "name ''"),
        ("c i:\(secret):publish", "name 'c i'"),
        ("ci:short:publish", "is 5 characters; use at least 16"),
        ("ci:\(secret):publish,write", "unknown scope 'write'"),
        ("ci:\(secret):", "unknown scope ''"),
    ])
    func refusesMalformedKeysWithoutEchoingTheSecret(text: String, expected: String) {
        let error = #expect(throws: HeraldServerConfigurationError.self) { try APIKey(parsing: text) }
        #expect(error?.message.contains(expected) == true, "\(error?.message ?? "")")
        #expect(error?.message.contains(Self.secret) == false)
    }

    @Test func parsesAListSeparatedBySemicolonsOrWhitespace() throws {
        let keys = try APIKey.parseList(
            "a:\(Self.secret)-a:publish; b:\(Self.secret)-b:subscribe\nc:\(Self.secret)-c:all")
        #expect(keys.map(\.name) == ["a", "b", "c"])
        #expect(try APIKey.parseList("  ").isEmpty)
    }
}
