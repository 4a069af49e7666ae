import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The live dashboard: `GET /` serves the page and `GET /dashboard/{file}` its script, stylesheet and icon.
///
/// The page runs in the browser and uses the public API only (`/v1/events`, `/v1/stream`, `/v1/groups`,
/// `/v1/topics`), with the API key the reader enters. Every response carries a Content-Security-Policy that
/// allows scripts, styles and connections to this server only and no inline script, an entity tag, and
/// `Cache-Control: no-cache`, so that browsers revalidate and a `304 Not Modified` saves the body.
public struct DashboardController: Sendable {
    /// The Content-Security-Policy of every dashboard response.
    public static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        + "form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

    /// Creates the routes.
    public init() {}

    /// Adds `GET /` and `GET /dashboard/{file}` to `router`, and `HEAD` for both.
    public func addRoutes<Context: RequestContext>(to router: Hummingbird.Router<Context>) {
        router.get("/") { request, _ in Self.response(serving: .page, to: request) }
        router.head("/") { request, _ in Self.response(serving: .page, to: request).createHeadResponse() }
        router.get("dashboard/:file") { request, context in
            Self.response(serving: try Self.file(named: context.parameters.get("file")), to: request)
        }
        router.head("dashboard/:file") { request, context in
            Self.response(serving: try Self.file(named: context.parameters.get("file")), to: request)
                .createHeadResponse()
        }
    }

    static func file(named name: String?) throws(ProblemDetails) -> DashboardAsset {
        let name = name ?? ""
        guard let asset = DashboardAsset.files[name] else {
            throw .notFound(
                "the dashboard has no file '\(name.prefix(100))'; its files are "
                    + DashboardAsset.files.keys.sorted().joined(separator: ", ") + ", and the page is at /")
        }
        return asset
    }

    static func response(serving asset: DashboardAsset, to request: Request) -> Response {
        var headers: HTTPFields = [
            .eTag: asset.entityTag,
            .cacheControl: "no-cache",
            .contentSecurityPolicy: contentSecurityPolicy,
            .xContentTypeOptions: "nosniff",
        ]
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        if let condition = request.headers[.ifNoneMatch], Self.matches(condition, entityTag: asset.entityTag) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = asset.contentType
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: asset.body))
    }

    /// Whether an `If-None-Match` list names `entityTag`, by the weak comparison RFC 9110 prescribes for it.
    static func matches(_ condition: String, entityTag: String) -> Bool {
        condition.split(separator: ",").contains { member in
            let tag = member.trimmingCharacters(in: .whitespaces)
            return tag == "*" || tag == entityTag || tag == "W/" + entityTag
        }
    }
}
