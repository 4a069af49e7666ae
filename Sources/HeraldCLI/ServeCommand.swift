import ArgumentParser
import Foundation
import Herald
import HeraldPostgres
import HeraldSQLite
import HeraldServer
import Hummingbird
import Logging
import Metrics
import NIOCore
import Prometheus
import ServiceLifecycle
import UnixSignals

/// `herald serve`: the event log over HTTP, until SIGTERM or SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the event log over HTTP: publish, query, stream, consumer groups, metrics, dashboard.",
        discussion: """
            Publish with POST /v1/events (CloudEvents structured, batch or binary mode), read with \
            GET /v1/events, probe with GET /healthz and GET /readyz, scrape GET /metrics. Flags win over the \
            environment variables HERALD_HOST, HERALD_PORT, HERALD_STORE and HERALD_API_KEYS (keys separated by \
            ';' or spaces). Without API keys the server listens on a loopback address only, unless \
            --allow-unauthenticated is given. Keys can be limited to topics per scope and rate-limited; topics \
            can require signed events (--require-signature with --verification-key). Admin requests are logged \
            with the key's name, never its secret. With --store postgres://USER@HOST:PORT/DATABASE several servers \
            share one PostgreSQL database: every server streams every event, and consumer groups span them; \
            while the database is unreachable, requests get 503 with Retry-After.
            """
    )

    @Option(
        help:
            "The address to bind; other than 127.0.0.1, ::1 or localhost only with API keys or --allow-unauthenticated. (default: $HERALD_HOST or 127.0.0.1)"
    )
    var host: String?

    @Option(help: "The TCP port. (default: $HERALD_PORT or 8080)")
    var port: Int?

    @Option(
        help: ArgumentHelp(
            "Where events are kept: sqlite:PATH, memory, or postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
                + "[?schema=NAME], which several servers may share. (default: $HERALD_STORE or sqlite:./herald.db)",
            valueName: "store"))
    var store: String?

    @Option(help: "The largest request body accepted, in bytes.")
    var maxBodyBytes = HeraldServerConfiguration().maxBodyBytes

    @Option(
        name: .customLong("api-key"),
        help: ArgumentHelp(
            "A key clients send as 'Authorization: Bearer SECRET', as NAME:SECRET:SCOPES with SCOPES a comma list of "
                + "publish, subscribe, admin, or all, each optionally limited to topic patterns joined by '|' "
                + "(publish=orders.>,subscribe=sensors.>|alerts.*,admin), plus an optional rate=N/s or rate=N/m of "
                + "the key's own. A limited key must name a topic within its patterns to read or stream, and sees "
                + "only those topics, groups and schedules. Repeat for more keys. (default: $HERALD_API_KEYS)",
            valueName: "name:secret:scopes"))
    var apiKeys: [String] = []

    @Flag(help: "Listen on a non-loopback address without API keys: anyone who reaches the port can do anything.")
    var allowUnauthenticated = false

    @Option(
        help: ArgumentHelp(
            "Serve HTTPS and WSS with this certificate chain, a PEM file (the server's certificate first); needs "
                + "--tls-key.",
            valueName: "file"))
    var tlsCert: String?

    @Option(help: ArgumentHelp("The private key of --tls-cert, a PEM file, not encrypted.", valueName: "file"))
    var tlsKey: String?

    @Option(
        help: ArgumentHelp(
            "Encrypt stored event data with AES-256-GCM under this key, 32 bytes in base64 (openssl rand -base64 "
                + "32); repeat to keep older keys for reading after a rotation: the first encrypts.",
            valueName: "keyid:base64key"))
    var encryptAtRest: [String] = []

    @Option(
        help: ArgumentHelp(
            "How many requests each API key may make, as N/s or N/m (a token bucket: bursts of N, then N per "
                + "second or minute), unless the key has its own rate=; over it, 429 with Retry-After. Needs API "
                + "keys: a server without keys is not limited.",
            valueName: "n/s"))
    var rateLimit: String?

    @Option(
        help: ArgumentHelp(
            "Refuse events published to topics matching PATTERN unless signed by a --verification-key: 400 when "
                + "unsigned or malformed, 403 for an unknown key or a bad signature. Repeat for more patterns.",
            valueName: "pattern"))
    var requireSignature: [String] = []

    @Option(
        help: ArgumentHelp(
            "A key signatures are checked with, as KEYID:hmac:BASE64SECRET or KEYID:ed25519:BASE64PUBLICKEY. "
                + "Repeat for several keys (rotation).",
            valueName: "keyid:alg:base64"))
    var verificationKey: [String] = []

    func validate() throws {
        _ = try resolved()
        _ = try atRestEncryptor()
    }

    func run() async throws {
        let (configuration, location) = try resolved()
        // Library metrics (Hummingbird's requests, the bus) go through the global factory: send them to the same
        // registry as the server's own, so that GET /metrics shows both.
        let metrics = ServerMetrics()
        MetricsSystem.bootstrap(metrics.factory)
        let logger = Logger(label: "herald.server")
        let announce: @Sendable (any Channel) async -> Void = { channel in
            let port = channel.localAddress?.port ?? configuration.port
            let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
            let scheme = configuration.tls == nil ? "http" : "https"
            logger.info(
                "Herald is serving: dashboard at \(scheme)://\(host):\(port)/, API at \(scheme)://\(host):\(port)/v1/",
                metadata: ["store": "\(location)", "api_keys": "\(configuration.apiKeys.count)"])
        }
        let (store, close) = try await location.open()
        do {
            try await Self.serve(
                buildHeraldApplication(
                    store: try servedStore(store), configuration: configuration, logger: logger, metrics: metrics,
                    onServerRunning: announce),
                logger: logger)
        } catch {
            try? await close()
            throw error
        }
        try await close()
    }

    /// How long SIGTERM or SIGINT lets requests, streams and connections finish before the server cancels
    /// what is left. Every answered publish was committed before its answer, so cancelling loses no accepted
    /// event; a client that keeps a connection open without sending a request cannot hold the server up.
    static let shutdownGracePeriod = Duration.seconds(10)

    /// Runs `application` until SIGTERM or SIGINT, then shuts it down within ``shutdownGracePeriod``.
    static func serve(_ application: some Service, logger: Logger) async throws {
        var configuration = ServiceGroupConfiguration(
            services: [application], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = shutdownGracePeriod
        try await ServiceGroup(configuration: configuration).run()
    }

    /// The settings from the flags, then the environment, then the defaults.
    func resolved() throws -> (HeraldServerConfiguration, StoreLocation) {
        let environment = ProcessInfo.processInfo.environment
        let host = host ?? environment["HERALD_HOST"] ?? HeraldServerConfiguration().host
        let port = try port ?? environment["HERALD_PORT"].map(Self.port) ?? HeraldServerConfiguration().port
        let location = try StoreLocation(store ?? environment["HERALD_STORE"] ?? "sqlite:./herald.db")
        let configuration: HeraldServerConfiguration
        do {
            var keys: [APIKey] = []
            if apiKeys.isEmpty, let fromEnvironment = environment["HERALD_API_KEYS"] {
                keys = try APIKey.parseList(fromEnvironment)
            } else {
                keys = try apiKeys.map { text throws(HeraldServerConfigurationError) in try APIKey(parsing: text) }
            }
            var settings = HeraldServerConfiguration(
                host: host, port: port, maxBodyBytes: maxBodyBytes, apiKeys: keys,
                allowUnauthenticated: allowUnauthenticated)
            settings.rateLimit = try rateLimit.map { text throws(HeraldServerConfigurationError) in
                try RateLimit(parsing: text)
            }
            settings.signatureRequirement = try signatureRequirement()
            try settings.validate()
            configuration = settings
        } catch {
            throw ValidationError(error.message)
        }
        return (try withTLS(configuration), location)
    }

    /// `--require-signature` and `--verification-key`.
    func signatureRequirement() throws(HeraldServerConfigurationError) -> SignatureRequirement {
        var requirement = SignatureRequirement()
        for text in requireSignature {
            do {
                requirement.topics.append(try TopicPattern(text))
            } catch {
                throw HeraldServerConfigurationError(
                    "--require-signature '\(text.prefix(80))' is not a valid topic pattern: \(error)")
            }
        }
        for text in verificationKey {
            requirement.keys.append(try SignatureRequirement.parseVerificationKey(text))
        }
        return requirement
    }

    static func port(_ text: String) throws -> Int {
        guard let port = Int(text) else {
            throw ValidationError("HERALD_PORT must be a port number from 0 to 65535, got '\(text)'")
        }
        return port
    }
}
