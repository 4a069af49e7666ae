import Foundation
import Hummingbird

/// `GET /v1/openapi.json`: the OpenAPI 3.1 document of this server's HTTP API, with no key needed.
///
/// The document is `Sources/HeraldServer/OpenAPI/openapi.json`, embedded into the binary as a package resource;
/// a test holds it to the routes the application registers and to the scope each route needs.
public struct OpenAPIController: Sendable {
    /// The document's bytes.
    static let document = PackageResources.openapi_json

    /// Creates the route.
    public init() {}

    /// Adds `GET /v1/openapi.json` to `router`.
    public func addRoutes(to router: Hummingbird.Router<HeraldRequestContext>) {
        router.get("v1/openapi.json") { _, _ in Response.json(.ok, Data(Self.document)) }
    }
}
