import Foundation
import HTTPTypes
import HeraldTesting
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

@testable import HeraldServer

/// The OpenAPI document is the contract of the HTTP API: these tests hold the application to it, route for route
/// and scope for scope. schemathesis (`scripts/api-contract`) then holds every answer to it on a live server.
@Suite struct OpenAPIContractTests {
    /// One operation of the document: its method, its path template, and the scope its `security` names (`nil`
    /// for `security: []`, a route that needs no key).
    struct Operation: Hashable, CustomStringConvertible {
        var method: String
        var path: String
        var scope: APIKey.Scope?

        var description: String { "\(method) \(path) (\(scope.map { "\($0)" } ?? "no key"))" }
    }

    static let documentURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/HeraldServer/OpenAPI/openapi.json")

    static func document() throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: try Data(contentsOf: documentURL))
        return try #require(object as? [String: Any])
    }

    static func operations() throws -> [Operation] {
        let paths = try #require(try document()["paths"] as? [String: [String: Any]])
        var operations: [Operation] = []
        for (path, item) in paths {
            for (method, value) in item where ["get", "put", "post", "delete", "head", "patch"].contains(method) {
                let operation = try #require(value as? [String: Any], "\(method) \(path)")
                let security = try #require(
                    operation["security"] as? [[String: [String]]], "\(method) \(path) declares no security")
                let scopes = security.flatMap { $0["bearer"] ?? [] }
                #expect(scopes.count <= 1, "\(method) \(path) names more than one scope: \(scopes)")
                let scope = try scopes.first.map { name in
                    try #require(
                        APIKey.Scope.all.first { $0.name == name }, "\(method) \(path): unknown scope '\(name)'")
                }
                operations.append(Operation(method: method.uppercased(), path: path, scope: scope))
            }
        }
        return operations.sorted { ($0.path, $0.method) < ($1.path, $1.method) }
    }

    static func routes() -> HeraldRoutes {
        HeraldRoutes(
            store: InMemoryEventStore(), configuration: HeraldServerConfiguration(),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), metrics: ServerMetrics(),
            clock: SystemWallClock())
    }

    @Test func theRoutesTheApplicationRegistersAreExactlyTheDocumentsOperations() throws {
        let registered = Set(Self.routes().router.routes.map { "\($0.method) \($0.path)" })
        let documented = Set(try Self.operations().map { "\($0.method) \($0.path)" })
        #expect(registered.subtracting(documented).sorted() == [], "routes missing from docs openapi.json")
        #expect(documented.subtracting(registered).sorted() == [], "documented operations the server lacks")
        #expect(!registered.isEmpty)
    }

    @Test func theServerServesTheDocumentWithoutAKey() async throws {
        var configuration = HeraldServerConfiguration()
        configuration.apiKeys = [APIKey(name: "ops", secret: "ops-secret-0123456789", scopes: Set(APIKey.Scope.all))]
        try await buildHeraldApplication(store: InMemoryEventStore(), configuration: configuration).test(.router) {
            client in
            let response = try await client.execute(uri: "/v1/openapi.json", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            #expect(Data(response.body.readableBytesView) == (try Data(contentsOf: Self.documentURL)))
        }
    }

    @Test func theDocumentIsOpenAPI31WithABearerScheme() throws {
        let document = try Self.document()
        #expect((document["openapi"] as? String)?.hasPrefix("3.1") == true)
        let schemes = (document["components"] as? [String: Any])?["securitySchemes"] as? [String: [String: String]]
        #expect(schemes?["bearer"] == ["type": "http", "scheme": "bearer"])
    }

    /// The scopes README and docs/security.md promise, so that the document cannot drift from them unnoticed.
    @Test(arguments: [
        ("GET", "/metrics", APIKey.Scope.admin),
        ("POST", "/v1/events", .publish),
        ("GET", "/v1/events", .subscribe),
        ("GET", "/v1/stream", .subscribe),
        ("GET", "/v1/ws", .subscribe),
        ("GET", "/v1/ws/publish", .publish),
        ("GET", "/v1/topics", .subscribe),
        ("GET", "/v1/groups", .subscribe),
        ("GET", "/v1/groups/{name}", .subscribe),
        ("GET", "/v1/groups/{name}/dead-letters", .subscribe),
        ("PUT", "/v1/groups/{name}", .admin),
        ("DELETE", "/v1/groups/{name}", .admin),
        ("POST", "/v1/groups/{name}/poll", .subscribe),
        ("POST", "/v1/groups/{name}/ack", .subscribe),
        ("POST", "/v1/groups/{name}/nack", .subscribe),
        ("POST", "/v1/groups/{name}/dead-letters/requeue", .admin),
        ("GET", "/v1/schedules", .subscribe),
        ("GET", "/v1/schedules/{name}", .subscribe),
        ("PUT", "/v1/schedules/{name}", .admin),
        ("DELETE", "/v1/schedules/{name}", .admin),
        ("POST", "/v1/schedules/{name}/pause", .admin),
        ("POST", "/v1/schedules/{name}/resume", .admin),
    ])
    func theDocumentDeclaresTheScopeTheGuidesPromise(method: String, path: String, scope: APIKey.Scope) throws {
        let operation = try #require(try Self.operations().first { $0.method == method && $0.path == path })
        #expect(operation.scope == scope)
    }

    @Test func theHealthProbesTheDashboardAndTheDocumentNeedNoKey() throws {
        let open = Set(try Self.operations().filter { $0.scope == nil }.map { "\($0.method) \($0.path)" })
        #expect(
            open == [
                "GET /", "HEAD /", "GET /dashboard/{file}", "HEAD /dashboard/{file}", "GET /healthz", "GET /readyz",
                "GET /v1/openapi.json",
            ])
    }

    /// Every operation, on a server with one key per scope: without a key it answers `401` exactly when the
    /// document names a scope; with a key that lacks that scope, `403`; with a key that has it, neither.
    @Test func everyRouteNeedsExactlyTheScopeTheDocumentDeclares() async throws {
        let keys: [APIKey.Scope: String] = [
            .publish: "publish-secret-0123456789", .subscribe: "subscribe-secret-0123456789",
            .admin: "admin-secret-0123456789",
        ]
        var configuration = HeraldServerConfiguration()
        configuration.apiKeys = keys.map { scope, secret in APIKey(name: scope.name, secret: secret, scopes: [scope]) }
        let operations = try Self.operations()
        try await buildHeraldApplication(store: InMemoryEventStore(), configuration: configuration).test(.router) {
            client in
            for operation in operations {
                // Concrete paths; the stream gets a bad query so that, once let in, it answers at once.
                let uri =
                    operation.path.replacingOccurrences(of: "{name}", with: "probe")
                    .replacingOccurrences(of: "{file}", with: "dashboard.js")
                    + (operation.path == "/v1/stream" ? "?after=-1" : "")
                let method = try #require(HTTPRequest.Method(rawValue: operation.method))
                func status(withKey secret: String?) async throws -> Int {
                    var headers: HTTPFields = [:]
                    if let secret { headers[.authorization] = "Bearer \(secret)" }
                    return try await client.execute(uri: uri, method: method, headers: headers).status.code
                }
                guard let scope = operation.scope else {
                    #expect(try await status(withKey: nil) != 401, "\(operation)")
                    continue
                }
                #expect(try await status(withKey: nil) == 401, "\(operation) without a key")
                #expect(try await status(withKey: "not-a-key-0123456789") == 401, "\(operation) with an unknown key")
                for (other, secret) in keys where other != scope {
                    #expect(try await status(withKey: secret) == 403, "\(operation) with a '\(other)' key")
                }
                let allowed = try await status(withKey: keys[scope])
                #expect(allowed != 401 && allowed != 403, "\(operation) with its own scope answered \(allowed)")
            }
        }
    }
}
