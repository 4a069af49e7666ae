import HTTPTypes
import Hummingbird
import Logging

/// Middleware on one route that requires a scope of the request's API key. Routes declare it where they are
/// added, with ``Hummingbird/RouterMethods/on(_:method:scope:use:)``, so that each route says once what it needs.
///
/// ``APIKeyAuthenticator`` identifies the key before routing; on a server with keys this middleware then answers
/// `401` (with the authenticator's problem) when the request presented no known key, and `403` naming the scope
/// when the key lacks it. Without keys every request has every scope. On the WebSocket route
/// (``reportsOverWebSocket``) an upgrade is the exception: it goes on with no scope and the problem in
/// ``HeraldRequestContext/authenticationProblem``, which the route sends as its first message before closing, since a
/// refused upgrade could only be an empty 400; on every other route an `Upgrade` header changes nothing. Requests that
/// need `admin` are logged at `info` with the key's name, as an audit trail.
struct RequiredScope: RouterMiddleware {
    typealias Context = HeraldRequestContext

    let scope: APIKey.Scope
    /// Whether the route is a WebSocket route that reports a refusal over the socket after the upgrade.
    var reportsOverWebSocket = false

    func handle(
        _ request: Request,
        context: HeraldRequestContext,
        next: (Request, HeraldRequestContext) async throws -> Response
    ) async throws -> Response {
        if context.grantedScopes.contains(scope) {
            if scope == .admin, let key = context.apiKey {
                context.logger.info(
                    "admin request",
                    metadata: ["key": "\(key.name)", "method": "\(request.method)", "path": "\(request.uri.path)"])
            }
            return try await next(request, context)
        }
        let problem =
            context.authenticationProblem
            ?? ProblemDetails.forbidden(
                "API key '\(context.apiKey?.name ?? "")' does not have the '\(scope)' scope that \(request.method) "
                    + "\(request.uri.path) needs; use a key with '\(scope)' or have the operator add it")
        guard reportsOverWebSocket, request.headers[.upgrade]?.lowercased().contains("websocket") == true else {
            throw problem
        }
        var context = context
        context.grantedScopes = []
        context.authenticationProblem = problem
        return try await next(request, context)
    }
}

extension RouterMethods where Context == HeraldRequestContext {
    /// Adds a route for `method` on `path` that needs `scope` of the request's API key when the server has keys
    /// (``RequiredScope``); a route added without it needs no key.
    @discardableResult
    func on(
        _ path: RouterPath = "",
        method: HTTPRequest.Method,
        scope: APIKey.Scope,
        use handler: @Sendable @escaping (Request, Context) async throws -> some ResponseGenerator
    ) -> Self {
        group().add(middleware: RequiredScope(scope: scope)).on(path, method: method, use: handler)
        return self
    }
}
