import HTTPTypes

/// What a request needs before it reaches a route, when the server has API keys.
///
/// The table, for a server with keys:
/// - `GET`/`HEAD` outside `/v1/` and `/metrics` (the dashboard's page and assets, `/healthz`, `/readyz`): nothing.
///   These reveal nothing about events; the dashboard itself sends a key for the API calls it makes.
/// - `POST /v1/events`: `publish`.
/// - `GET /v1/events`, `/v1/stream`, `/v1/ws`, `/v1/topics`, reading groups and dead letters, and
///   `POST /v1/groups/{name}/poll|ack|nack`: `subscribe`.
/// - `PUT` and `DELETE /v1/groups/{name}`, `POST /v1/groups/{name}/dead-letters/requeue`, and `GET /metrics`: `admin`.
/// - `GET /v1/schedules` and `/v1/schedules/{name}`: `subscribe`; every other method under `/v1/schedules`
///   (`PUT`, `DELETE`, `POST .../pause|resume`): `admin`.
/// - Anything else under `/v1/` (including paths that do not exist): any valid key, so that unauthenticated
///   clients learn nothing about which paths exist.
public enum RequiredAccess: Sendable, Hashable {
    /// No key needed.
    case none
    /// A valid key, whatever its scopes.
    case anyKey
    /// A valid key with this scope.
    case scope(APIKey.Scope)

    /// The access a request with `method` to `path` (without its query) needs.
    public init(method: HTTPRequest.Method, path: String) {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        if segments.first == "metrics", segments.count == 1 {
            self = .scope(.admin)
            return
        }
        guard segments.first == "v1" else {
            self = method == .get || method == .head ? .none : .anyKey
            return
        }
        switch (method, segments.dropFirst().first) {
        case (.post, "events"):
            self = .scope(.publish)
        case (.get, "events"), (.get, "stream"), (.get, "ws"), (.get, "topics"):
            self = .scope(.subscribe)
        case (.get, "schedules"), (.head, "schedules"):
            self = .scope(.subscribe)
        case (_, "schedules"):
            self = .scope(.admin)
        case (_, "groups"):
            self = Self.groupAccess(method: method, segments: Array(segments.dropFirst(2)))
        default:
            self = .anyKey
        }
    }

    /// `segments` follow `/v1/groups`.
    private static func groupAccess(method: HTTPRequest.Method, segments: [Substring]) -> RequiredAccess {
        switch (method, segments.count) {
        case (.get, _):
            return .scope(.subscribe)
        case (.put, 1), (.delete, 1):
            return .scope(.admin)
        case (.post, 2) where ["poll", "ack", "nack"].contains(segments[1]):
            return .scope(.subscribe)
        case (.post, 3) where segments[1] == "dead-letters" && segments[2] == "requeue":
            return .scope(.admin)
        default:
            return .anyKey
        }
    }
}
