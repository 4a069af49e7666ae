import Herald
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore

/// Builds the HTTP application of `herald serve` over `store`: the `/v1/events` routes, the live streams
/// `/v1/stream` (Server-Sent Events) and `/v1/ws` (WebSocket), and the health probes.
///
/// `onServerRunning` is called with the listening channel once the server accepts connections, which tells
/// the port chosen when ``HeraldServerConfiguration/port`` is 0.
///
/// The application is a ServiceLifecycle service: call `runService()` to serve until SIGTERM or SIGINT,
/// or add it to a `ServiceGroup`. On graceful shutdown open streams end at once, so that shutting down does
/// not wait for stream clients to leave. It does not close `store`; its owner does, after the application
/// stops.
///
/// - Important: The server does not authenticate clients yet. Bind it to a loopback host
///   (``HeraldServerConfiguration/isLoopback``) only.
public func buildHeraldApplication(
    store: any EventLog & ConsumerGroupStore,
    configuration: HeraldServerConfiguration = HeraldServerConfiguration(),
    logger: Logger = Logger(label: "herald.server"),
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let router = Hummingbird.Router(context: HeraldRequestContext.self)
    HealthController(store: store).addRoutes(to: router)
    EventsController(store: store, maxBodyBytes: configuration.maxBodyBytes)
        .addRoutes(to: router.group("v1/events"))
    let streamHub = EventStreamHub(store: store, bufferLimit: configuration.streamBufferLimit, logger: logger)
    ServerSentEventsController(hub: streamHub, heartbeatInterval: configuration.streamHeartbeatInterval)
        .addRoutes(to: router.group("v1/stream"))
    WebSocketStreamController(hub: streamHub, store: store, maxMessageBytes: configuration.maxBodyBytes)
        .addRoutes(to: router.group("v1/ws"))
    return Application(
        router: router,
        server: .http1WebSocketUpgrade(
            webSocketRouter: router,
            configuration: .init(ws: .init(maxFrameSize: configuration.maxBodyBytes))),
        configuration: ApplicationConfiguration(
            address: .hostname(configuration.host, port: configuration.port),
            serverName: "herald"
        ),
        services: [streamHub],
        onServerRunning: onServerRunning,
        logger: logger
    )
}
