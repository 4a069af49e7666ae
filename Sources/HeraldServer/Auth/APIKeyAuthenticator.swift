import Crypto
import HTTPTypes
import Hummingbird
import Logging

/// Middleware that checks `Authorization: Bearer SECRET` against the configured keys and the access each route
/// needs (``RequiredAccess``), before any route runs.
///
/// With no keys configured it lets every request through with every scope. Otherwise a request without a valid
/// key gets 401 with a `WWW-Authenticate: Bearer` challenge, and one whose key lacks the scope gets 403 naming
/// the scope. A WebSocket upgrade of `/v1/ws` is the exception: it goes on with no scope and the problem in
/// ``HeraldRequestContext/authenticationProblem``, which the WebSocket route sends as its first message before
/// closing, since a refused upgrade could only be an empty 400. Secrets are compared as SHA-256 digests in constant time, against every key, so the time taken
/// says nothing about how close a guess was; neither the secret nor the presented token is ever logged. Requests
/// that need `admin` are logged at `info` with the key's name, as an audit trail.
public struct APIKeyAuthenticator: RouterMiddleware {
    public typealias Context = HeraldRequestContext

    private struct Entry: Sendable {
        let key: APIKey
        let digest: [UInt8]
    }

    private let entries: [Entry]
    private let logger: Logger

    /// Creates the middleware for `keys`; an empty list turns authentication off.
    public init(keys: [APIKey], logger: Logger) {
        self.entries = keys.map { Entry(key: $0, digest: Array(SHA256.hash(data: Array($0.secret.utf8)))) }
        self.logger = logger
    }

    public func handle(
        _ request: Request,
        context: HeraldRequestContext,
        next: (Request, HeraldRequestContext) async throws -> Response
    ) async throws -> Response {
        guard !entries.isEmpty else { return try await next(request, context) }
        let access = RequiredAccess(method: request.method, path: request.uri.path)
        if access == .none { return try await next(request, context) }

        var context = context
        if let problem = authenticate(request, access: access, context: &context) {
            // The WebSocket route reports the problem itself (see HeraldRequestContext.authenticationProblem);
            // only that route is let through, and with no scope.
            guard Self.isWebSocketStreamUpgrade(request) else { throw problem }
            context.apiKey = nil
            context.grantedScopes = []
            context.authenticationProblem = problem
        }
        return try await next(request, context)
    }

    /// Checks the request's key against `access`, setting the key and its scopes on `context`; returns the
    /// problem when the request may not go on.
    private func authenticate(
        _ request: Request, access: RequiredAccess, context: inout HeraldRequestContext
    ) -> ProblemDetails? {
        guard let token = Self.bearerToken(in: request.headers) else {
            return ProblemDetails.unauthorized(
                "this server requires an API key: send it as 'Authorization: Bearer SECRET' (the CLI takes "
                    + "--api-key or HERALD_API_KEY)")
        }
        guard let key = key(for: token) else {
            logger.notice(
                "refused a request with an unknown API key",
                metadata: ["method": "\(request.method)", "path": "\(request.uri.path)"])
            return ProblemDetails.unauthorized(
                "the API key sent in the Authorization header is not one this server knows; check the secret, "
                    + "or ask the server's operator for a key")
        }
        context.apiKey = key
        context.grantedScopes = key.scopes
        context.topicAccess = TopicAccess(key: key)
        if case .scope(let scope) = access {
            guard key.scopes.contains(scope) else {
                return ProblemDetails.forbidden(
                    "API key '\(key.name)' does not have the '\(scope)' scope that \(request.method) "
                        + "\(request.uri.path) needs; use a key with '\(scope)' or have the operator add it")
            }
            if scope == .admin {
                logger.info(
                    "admin request",
                    metadata: ["key": "\(key.name)", "method": "\(request.method)", "path": "\(request.uri.path)"])
            }
        }
        return nil
    }

    /// Whether `request` asks to upgrade `/v1/ws` to a WebSocket.
    static func isWebSocketStreamUpgrade(_ request: Request) -> Bool {
        request.uri.path == "/v1/ws" && request.headers[.upgrade]?.lowercased().contains("websocket") == true
    }

    /// The key whose secret is `token`, comparing against every key so that timing reveals nothing.
    private func key(for token: Substring) -> APIKey? {
        let digest = Array(SHA256.hash(data: Array(token.utf8)))
        var found: APIKey?
        for entry in entries where Self.constantTimeEqual(entry.digest, digest) {
            found = entry.key
        }
        return found
    }

    /// Whether two digests of the same length are equal, looking at every byte whatever the first difference.
    private static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices {
            difference |= lhs[index] ^ rhs[index]
        }
        return difference == 0
    }

    /// The token of an `Authorization: Bearer TOKEN` header (the scheme is case-insensitive).
    static func bearerToken(in headers: HTTPFields) -> Substring? {
        guard let value = headers[.authorization] else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].drop(while: { $0 == " " })
        return token.isEmpty ? nil : token
    }
}
