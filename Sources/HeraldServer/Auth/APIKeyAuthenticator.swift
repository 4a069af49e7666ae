import Crypto
import HTTPTypes
import Hummingbird
import Logging

/// Middleware that identifies the request's API key from `Authorization: Bearer SECRET`, before routing.
///
/// With no keys configured it leaves every request with every scope. Otherwise it narrows the request to the scopes
/// and topics of the key it presented (``HeraldRequestContext/apiKey``, ``HeraldRequestContext/grantedScopes``,
/// ``HeraldRequestContext/topicAccess``), or to no scope with a `401` problem in
/// ``HeraldRequestContext/authenticationProblem`` when it presented none or an unknown one. It refuses nothing
/// itself: each route declares the scope it needs (``RequiredScope``), and routes that need none, such as the health
/// probes and the dashboard, serve every request. Secrets are compared as SHA-256 digests in constant time, against
/// every key, so the time taken says nothing about how close a guess was; neither the secret nor the presented token
/// is ever logged.
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
        var context = context
        context.grantedScopes = []
        if let token = Self.bearerToken(in: request.headers) {
            if let key = key(for: token) {
                context.apiKey = key
                context.grantedScopes = key.scopes
                context.topicAccess = TopicAccess(key: key)
            } else {
                logger.notice(
                    "refused a request with an unknown API key",
                    metadata: ["method": "\(request.method)", "path": "\(request.uri.path)"])
                context.authenticationProblem = ProblemDetails.unauthorized(
                    "the API key sent in the Authorization header is not one this server knows; check the secret, "
                        + "or ask the server's operator for a key")
            }
        } else {
            context.authenticationProblem = ProblemDetails.unauthorized(
                "this server requires an API key: send it as 'Authorization: Bearer SECRET' (the CLI takes "
                    + "--api-key or HERALD_API_KEY)")
        }
        return try await next(request, context)
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
