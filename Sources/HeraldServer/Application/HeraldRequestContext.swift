import Hummingbird
import HummingbirdWebSocket

/// The request context of every route of `herald serve`, HTTP and WebSocket alike.
///
/// Besides Hummingbird's core storage it carries the API key that authenticated the request, which the
/// authentication middleware sets before any route runs.
public struct HeraldRequestContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>
    /// The key the request presented, once authenticated; `nil` when the server has no keys configured.
    public var apiKey: APIKey?
    /// What the request may do. Every scope until the authentication middleware narrows it to the scopes of
    /// ``apiKey``; with no keys configured it stays every scope.
    public var grantedScopes: Set<APIKey.Scope>
    /// Why authentication failed, for a WebSocket upgrade request: such a request is let through to its route,
    /// which reports this problem as a message and closes, because a refused upgrade can only be an empty 400.
    public var authenticationProblem: ProblemDetails?
    /// The topics ``apiKey`` may use with each scope; unrestricted until the authentication middleware sets the
    /// key, and without keys.
    public var topicAccess: TopicAccess

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.webSocket = .init()
        self.apiKey = nil
        self.grantedScopes = Set(APIKey.Scope.all)
        self.authenticationProblem = nil
        self.topicAccess = .unrestricted
    }
}
