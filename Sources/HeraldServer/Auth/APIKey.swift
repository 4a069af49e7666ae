/// A client's credential for `herald serve`: a name for logs, a secret sent as `Authorization: Bearer SECRET`,
/// and the scopes it grants.
public struct APIKey: Sendable, Hashable {
    /// What a key may do.
    public struct Scope: Sendable, Hashable, CustomStringConvertible {
        /// The scope's name as written in `--api-key NAME:SECRET:SCOPES`.
        public let name: String

        /// Publish events: `POST /v1/events`, and publishing over a WebSocket.
        public static let publish = Scope(name: "publish")
        /// Read and consume events: queries, streams, topics, polling and acknowledging in consumer groups.
        public static let subscribe = Scope(name: "subscribe")
        /// Administer: create and delete consumer groups, requeue dead letters, read metrics.
        public static let admin = Scope(name: "admin")

        /// Every scope Herald knows.
        public static let all: [Scope] = [.publish, .subscribe, .admin]

        public var description: String { name }
    }

    /// The key's name, which logs and admin audit lines show; never the secret.
    public var name: String
    /// The bearer token a client sends.
    public var secret: String
    /// What the key may do.
    public var scopes: Set<Scope>

    /// Creates a key.
    public init(name: String, secret: String, scopes: Set<Scope>) {
        self.name = name
        self.secret = secret
        self.scopes = scopes
    }
}
