/// Where `herald serve` listens and what it accepts.
public struct HeraldServerConfiguration: Sendable, Hashable {
    /// The address to bind; `127.0.0.1` by default, so that the server is reachable from this machine only.
    public var host: String
    /// The TCP port to listen on; 8080 by default.
    public var port: Int
    /// The largest request body accepted, in bytes; larger bodies get `413 Content Too Large`. 1 MiB by
    /// default.
    public var maxBodyBytes: Int
    /// How often a Server-Sent Events stream (`GET /v1/stream`) gets a `: heartbeat` comment, which keeps
    /// proxies from timing the stream out and lets clients notice a dead connection. 15 seconds by default.
    public var streamHeartbeatInterval: Duration = .seconds(15)
    /// How many messages a stream client (SSE or WebSocket) may fall behind before the server disconnects it,
    /// so that a slow client never slows publishers or other clients; it can reconnect and resume from the
    /// last sequence it received. 1000 by default.
    public var streamBufferLimit: Int = 1000
    /// The keys clients authenticate with. Empty (the default) turns authentication off: every request may do
    /// everything, so the server then listens on a loopback host only, unless ``allowUnauthenticated``.
    public var apiKeys: [APIKey]
    /// Whether to listen on a non-loopback host without API keys, letting anyone who reaches the port publish,
    /// read and administer. Off by default.
    public var allowUnauthenticated: Bool
    /// The certificate and key to serve HTTPS and WSS with; `nil` (the default) serves plain HTTP and WS.
    public var tls: ServerTLS?
    /// How many requests each API key may make, unless the key has its own ``APIKey/rateLimit``; `nil` (the
    /// default) for no limit. Needs API keys: a server without keys is not limited.
    public var rateLimit: RateLimit? = nil
    /// Topics whose published events must be signed, and the keys to check them with; off by default.
    public var signatureRequirement = SignatureRequirement()

    /// The smallest ``maxBodyBytes`` allowed: an event of 64 KiB or less is always accepted.
    public static let minimumBodyLimit = 64 * 1024

    /// Creates a configuration.
    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        maxBodyBytes: Int = 1 << 20,
        apiKeys: [APIKey] = [],
        allowUnauthenticated: Bool = false
    ) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.apiKeys = apiKeys
        self.allowUnauthenticated = allowUnauthenticated
    }

    /// The host names that reach this machine only: without API keys the server listens on these alone,
    /// unless ``allowUnauthenticated``.
    public static let loopbackHosts: Set<String> = ["127.0.0.1", "::1", "localhost"]

    /// Whether ``host`` is one of ``loopbackHosts``.
    public var isLoopback: Bool { Self.loopbackHosts.contains(host) }

    /// Checks that the server can run with these settings, and safely: without API keys it must listen on a
    /// loopback host unless ``allowUnauthenticated`` says otherwise.
    ///
    /// - Throws: ``HeraldServerConfigurationError`` naming the setting and how to fix it.
    public func validate() throws(HeraldServerConfigurationError) {
        guard isLoopback || !apiKeys.isEmpty || allowUnauthenticated else {
            throw HeraldServerConfigurationError(
                "refusing to listen on '\(host)' without API keys: anyone who reaches it could publish, read and "
                    + "administer. Add keys with --api-key NAME:SECRET:SCOPES (or HERALD_API_KEYS), listen on "
                    + "127.0.0.1, ::1 or localhost, or pass --allow-unauthenticated if the network is trusted")
        }
        var names = Set<String>()
        var secrets = Set<String>()
        for key in apiKeys {
            guard names.insert(key.name).inserted else {
                throw HeraldServerConfigurationError(
                    "API key name '\(key.name)' is given twice; give each key its own name")
            }
            guard secrets.insert(key.secret).inserted else {
                throw HeraldServerConfigurationError(
                    "API key '\(key.name)' has the same secret as another key; give each key its own secret")
            }
            guard !key.scopes.isEmpty else {
                throw HeraldServerConfigurationError(
                    "API key '\(key.name)' has no scopes; give it publish, subscribe, admin or all")
            }
        }
        guard rateLimit == nil || !apiKeys.isEmpty else {
            throw HeraldServerConfigurationError(
                "--rate-limit limits each API key, and this server has none; add keys with --api-key, or leave "
                    + "--rate-limit out")
        }
        guard !signatureRequirement.isEnabled || !signatureRequirement.keys.isEmpty else {
            throw HeraldServerConfigurationError(
                "--require-signature needs at least one --verification-key KEYID:hmac:BASE64 or "
                    + "KEYID:ed25519:BASE64PUBLICKEY to check signatures with")
        }
        guard (0...65535).contains(port) else {
            throw HeraldServerConfigurationError("port (--port) must be from 0 to 65535, got \(port)")
        }
        guard maxBodyBytes >= Self.minimumBodyLimit else {
            throw HeraldServerConfigurationError(
                "maxBodyBytes (--max-body-bytes) must be at least \(Self.minimumBodyLimit) so that any event of "
                    + "64 KiB is accepted, got \(maxBodyBytes)")
        }
        guard streamHeartbeatInterval > .zero else {
            throw HeraldServerConfigurationError(
                "streamHeartbeatInterval must be longer than zero, got \(streamHeartbeatInterval)")
        }
        guard streamBufferLimit >= 1 else {
            throw HeraldServerConfigurationError("streamBufferLimit must be at least 1, got \(streamBufferLimit)")
        }
    }
}
