import Herald
import Hummingbird
import HummingbirdWebSocket
import Logging

/// Builds the HTTP application of `herald serve` over `store`: the `/v1/events`, `/v1/groups` and
/// `/v1/topics` routes and the health probes.
///
/// The application is a ServiceLifecycle service: call `runService()` to serve until SIGTERM or SIGINT,
/// or add it to a `ServiceGroup`. It does not close `store`; its owner does, after the application stops.
///
/// - Important: The server does not authenticate clients yet. Bind it to a loopback host
///   (``HeraldServerConfiguration/isLoopback``) only.
public func buildHeraldApplication(
    store: any EventLog & ConsumerGroupStore,
    configuration: HeraldServerConfiguration = HeraldServerConfiguration(),
    logger: Logger = Logger(label: "herald.server")
) -> some ApplicationProtocol {
    let router = Hummingbird.Router(context: HeraldRequestContext.self)
    HealthController(store: store).addRoutes(to: router)
    EventsController(store: store, maxBodyBytes: configuration.maxBodyBytes)
        .addRoutes(to: router.group("v1/events"))
    GroupsController(store: store, maxBodyBytes: configuration.maxBodyBytes)
        .addRoutes(to: router.group("v1/groups"))
    let topicRates = TopicRateTracker()
    TopicsController(store: store, rates: topicRates).addRoutes(to: router.group("v1/topics"))
    return Application(
        router: router,
        server: .http1WebSocketUpgrade(webSocketRouter: router),
        configuration: ApplicationConfiguration(
            address: .hostname(configuration.host, port: configuration.port),
            serverName: "herald"
        ),
        services: [TopicRateService(store: store, tracker: topicRates, logger: logger)],
        logger: logger
    )
}
