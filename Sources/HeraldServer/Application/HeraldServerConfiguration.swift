/// Where `herald serve` listens and what it accepts.
public struct HeraldServerConfiguration: Sendable, Hashable {
    /// The address to bind; `127.0.0.1` by default, so that the server is reachable from this machine only.
    public var host: String
    /// The TCP port to listen on; 8080 by default.
    public var port: Int
    /// The largest request body accepted, in bytes; larger bodies get `413 Content Too Large`. 1 MiB by
    /// default.
    public var maxBodyBytes: Int
    /// How long a Server-Sent Events stream (`GET /v1/stream`) may stay silent before the server sends a
    /// `: heartbeat` comment, which keeps proxies from timing the stream out and lets clients notice a dead
    /// connection. 15 seconds by default.
    public var streamHeartbeatInterval: Duration = .seconds(15)
    /// How many messages a stream client (SSE or WebSocket) may fall behind before the server disconnects it,
    /// so that a slow client never slows publishers or other clients; it can reconnect and resume from the
    /// last sequence it received. 1000 by default.
    public var streamBufferLimit: Int = 1000

    /// Creates a configuration.
    public init(host: String = "127.0.0.1", port: Int = 8080, maxBodyBytes: Int = 1 << 20) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
    }

    /// The host names that reach this machine only: the server refuses other hosts until it can
    /// authenticate clients.
    public static let loopbackHosts: Set<String> = ["127.0.0.1", "::1", "localhost"]

    /// Whether ``host`` is one of ``loopbackHosts``.
    public var isLoopback: Bool { Self.loopbackHosts.contains(host) }

    /// Checks that the server can run with these settings, and safely: without authentication it must
    /// listen on a loopback host.
    ///
    /// - Throws: ``HeraldServerConfigurationError`` naming the setting and how to fix it.
    public func validate() throws(HeraldServerConfigurationError) {
        guard isLoopback else {
            throw HeraldServerConfigurationError(
                "refusing to listen on '\(host)': API keys are not implemented yet, so herald serve only binds "
                    + "127.0.0.1, ::1 or localhost; use one of those and put an authenticating proxy in front for "
                    + "remote clients")
        }
        guard (0...65535).contains(port) else {
            throw HeraldServerConfigurationError("port (--port) must be from 0 to 65535, got \(port)")
        }
        guard maxBodyBytes >= 1 else {
            throw HeraldServerConfigurationError(
                "maxBodyBytes (--max-body-bytes) must be at least 1, got \(maxBodyBytes)")
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
