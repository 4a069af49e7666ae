import HTTPTypes
import HeraldServer
import HeraldTesting
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite struct AuthenticationTests {
    static let publisher = APIKey(name: "publisher", secret: "publisher-secret-0001", scopes: [.publish])
    static let reader = APIKey(name: "reader", secret: "reader-secret-000002", scopes: [.subscribe])
    static let admin = APIKey(name: "operator", secret: "operator-secret-0003", scopes: Set(APIKey.Scope.all))

    var server: ServerUnderTest {
        var server = ServerUnderTest()
        server.configuration.apiKeys = [Self.publisher, Self.reader, Self.admin]
        return server
    }

    static func bearer(_ key: APIKey, _ fields: HTTPFields = [:]) -> HTTPFields {
        var fields = fields
        fields[.authorization] = "Bearer \(key.secret)"
        return fields
    }

    @Test func withoutKeysConfiguredEveryRequestIsAllowed() async throws {
        try await ServerUnderTest().run { client in
            let published = try await client.execute(
                uri: "/v1/events", method: .post, headers: .structured, body: ByteBuffer(json: structuredEvent(id: "1"))
            )
            #expect(published.status == .created)
            #expect(try await client.execute(uri: "/metrics", method: .get).status == .ok)
        }
    }

    @Test func aRequestWithoutAKeyGets401WithABearerChallenge() async throws {
        try await server.run { client in
            let response = try await client.execute(uri: "/v1/events", method: .get)
            #expect(response.status == .unauthorized)
            #expect(response.headers[.wwwAuthenticate] == #"Bearer realm="herald""#)
            #expect(response.contentType == ProblemDetails.mediaType)
            let problem = try response.decode(ProblemBody.self)
            #expect(problem.status == 401)
            #expect(problem.detail.contains("Authorization: Bearer SECRET"))
        }
    }

    @Test(arguments: [
        "Bearer not-a-key-at-all-000", "Basic cHVibGlzaGVyOnNlY3JldA==", "Bearer", "publisher-secret-0001",
    ])
    func aWrongOrMalformedAuthorizationGets401(header: String) async throws {
        try await server.run { client in
            let response = try await client.execute(
                uri: "/v1/events", method: .get, headers: [.authorization: header])
            #expect(response.status == .unauthorized)
            let problem = try response.decode(ProblemBody.self)
            #expect(!problem.detail.contains(Self.publisher.secret))
        }
    }

    @Test func aKeyWithoutTheScopeGets403NamingKeyAndScope() async throws {
        try await server.run { client in
            let response = try await client.execute(
                uri: "/v1/events", method: .post, headers: Self.bearer(Self.reader, .structured),
                body: ByteBuffer(json: structuredEvent(id: "1")))
            #expect(response.status == .forbidden)
            let problem = try response.decode(ProblemBody.self)
            #expect(problem.detail.contains("'reader'"))
            #expect(problem.detail.contains("'publish'"))
            #expect(!problem.detail.contains(Self.reader.secret))

            let read = try await client.execute(uri: "/v1/events", method: .get, headers: Self.bearer(Self.publisher))
            #expect(read.status == .forbidden)
            let metrics = try await client.execute(uri: "/metrics", method: .get, headers: Self.bearer(Self.reader))
            #expect(metrics.status == .forbidden)
        }
    }

    @Test func eachScopeOpensItsRoutes() async throws {
        try await server.run { client in
            let published = try await client.execute(
                uri: "/v1/events", method: .post, headers: Self.bearer(Self.publisher, .structured),
                body: ByteBuffer(json: structuredEvent(id: "1")))
            #expect(published.status == .created)
            let read = try await client.execute(uri: "/v1/events", method: .get, headers: Self.bearer(Self.reader))
            #expect(read.status == .ok)
            #expect(try ReadBody(read).events.map(\.event.id) == ["1"])
            let metrics = try await client.execute(uri: "/metrics", method: .get, headers: Self.bearer(Self.admin))
            #expect(metrics.status == .ok)
        }
    }

    @Test func theBearerSchemeIsCaseInsensitive() async throws {
        try await server.run { client in
            let response = try await client.execute(
                uri: "/v1/events", method: .get, headers: [.authorization: "bearer  \(Self.reader.secret)"])
            #expect(response.status == .ok)
        }
    }

    @Test func probesAndThePageNeedNoKeyAndUnknownAPIPathsAre404WithOrWithoutOne() async throws {
        try await server.run { client in
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/readyz", method: .get).status == .ok)
            // The routes are public in /v1/openapi.json, so a path no route serves is simply not found.
            let stranger = try await client.execute(uri: "/v1/no-such-thing", method: .get)
            #expect(stranger.status == .notFound)
            #expect(stranger.contentType == ProblemDetails.mediaType)
            let known = try await client.execute(
                uri: "/v1/no-such-thing", method: .get, headers: Self.bearer(Self.reader))
            #expect(known.status == .notFound)
            #expect(known.contentType == ProblemDetails.mediaType)
            #expect(try known.decode(ProblemBody.self).detail.contains("no route for GET /v1/no-such-thing"))
        }
    }

    @Test func aRefusedPublishStoresNothing() async throws {
        let server = server
        try await server.run { client in
            _ = try await client.execute(
                uri: "/v1/events", method: .post, headers: Self.bearer(Self.reader, .structured),
                body: ByteBuffer(json: structuredEvent(id: "1")))
        }
        #expect(try await server.store.lastSequence() == 0)
    }
}
