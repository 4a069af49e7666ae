import Herald
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import ServiceLifecycle

/// Builds the HTTP application of `herald serve` over `store`: the `/v1` API, with the live streams
/// `/v1/stream` (Server-Sent Events) and `/v1/ws` (WebSocket), the health probes and `GET /metrics` (emitting
/// `metrics`' registry).
///
/// The application is a ServiceLifecycle service: call `runService()` to serve until SIGTERM or SIGINT,
/// or add it to a `ServiceGroup`. On graceful shutdown open streams end at once, so that shutting down does
/// not wait for stream clients to leave. It does not close `store`; its owner does, after the application
/// stops.
///
/// When `store` also keeps schedules and locks (a `ScheduleStore` and `LockStore`, as the in-memory, SQLite and
/// PostgreSQL stores are), the application runs a ``Scheduler`` on `clock` among its services, so that it
/// fires schedules while the server runs and stops with it, and serves `/v1/schedules`
/// (``SchedulesController``); otherwise those routes answer `501`. Pass the store's own clock.
///
/// With ``HeraldServerConfiguration/tls`` set, the port speaks HTTPS and WSS only.
///
/// With ``HeraldServerConfiguration/apiKeys`` set, every route but the health probes, the dashboard and
/// `GET /v1/openapi.json` needs a key with the scope the route declares (``APIKeyAuthenticator``, ``RequiredScope``). Call ``HeraldServerConfiguration/validate()`` before serving:
/// it refuses an unauthenticated server on a non-loopback host. Keys may be limited to topics per scope
/// (``TopicAccess``) and held to a rate limit (``RateLimitMiddleware``, on `clock`); topics may require signed
/// events (``SignatureRequirement``). `onServerRunning` is called with the listening
/// channel once the server accepts connections; its `localAddress` has the port when configured with port 0.
public func buildHeraldApplication(
    store: any EventLog & ConsumerGroupStore,
    configuration: HeraldServerConfiguration = HeraldServerConfiguration(),
    logger: Logger = Logger(label: "herald.server"),
    metrics: ServerMetrics = ServerMetrics(),
    clock: any WallClock = SystemWallClock(),
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let routes = HeraldRoutes(
        store: store, configuration: configuration, logger: logger, metrics: metrics, clock: clock)
    return Application(
        router: routes.router,
        server: .heraldHTTP1(
            webSocketRouter: routes.router, webSocket: .init(maxFrameSize: configuration.maxBodyBytes),
            tls: configuration.tls),
        configuration: ApplicationConfiguration(
            address: .hostname(configuration.host, port: configuration.port),
            serverName: "herald"
        ),
        services: routes.services,
        onServerRunning: onServerRunning,
        logger: logger
    )
}

/// The router of `herald serve` with every route and middleware, and the services its routes need running (the
/// stream hub, and the scheduler when the store keeps schedules).
///
/// Each route declares the scope it needs where it is added (``RequiredScope``); `router.routes` lists them all,
/// which a test holds to the OpenAPI document the server serves at `GET /v1/openapi.json`.
struct HeraldRoutes {
    let router: Hummingbird.Router<HeraldRequestContext>
    let services: [any Service]

    init(
        store: any EventLog & ConsumerGroupStore, configuration: HeraldServerConfiguration, logger: Logger,
        metrics: ServerMetrics, clock: any WallClock
    ) {
        let router = Hummingbird.Router(context: HeraldRequestContext.self)
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: RouteNotFoundMiddleware())
        router.add(middleware: APIKeyAuthenticator(keys: configuration.apiKeys, logger: logger))
        let rateLimits = RateLimitMiddleware(
            limiter: RateLimiter(clock: clock), defaultLimit: configuration.rateLimit, metrics: metrics,
            logger: logger)
        router.add(middleware: rateLimits)
        HealthController(store: store).addRoutes(to: router)
        MetricsController(store: store, metrics: metrics).addRoutes(to: router)
        OpenAPIController().addRoutes(to: router)
        EventsController(
            store: store, maxBodyBytes: configuration.maxBodyBytes, metrics: metrics,
            signatures: configuration.signatureRequirement
        )
        .addRoutes(to: router.group("v1/events"))
        GroupsController(store: store, maxBodyBytes: configuration.maxBodyBytes, metrics: metrics)
            .addRoutes(to: router.group("v1/groups"))
        let topicRates = TopicRateTracker()
        TopicsController(store: store, rates: topicRates).addRoutes(to: router.group("v1/topics"))
        let streamHub = EventStreamHub(
            store: store, bufferLimit: configuration.streamBufferLimit, metricsFactory: metrics.factory,
            logger: logger,
            onNewEvents: { events in
                for stored in events { topicRates.record(stored.event.type) }
            })
        ServerSentEventsController(hub: streamHub, heartbeatInterval: configuration.streamHeartbeatInterval)
            .addRoutes(to: router.group("v1/stream"))
        WebSocketStreamController(
            hub: streamHub, store: store, maxMessageBytes: configuration.maxBodyBytes, metrics: metrics,
            signatures: configuration.signatureRequirement, rateLimits: rateLimits
        )
        .addRoutes(to: router.group("v1/ws"))
        let scheduleStore = store as? any EventLog & ScheduleStore & LockStore
        let scheduler = scheduleStore.map { store in
            Scheduler(
                log: store, schedules: store, locks: store, clock: clock, logger: logger,
                metricsFactory: metrics.factory)
        }
        SchedulesController(
            store: scheduleStore, scheduler: scheduler, clock: clock, maxBodyBytes: configuration.maxBodyBytes
        )
        .addRoutes(to: router.group("v1/schedules"))
        DashboardController().addRoutes(to: router)
        self.router = router
        self.services = [streamHub] + (scheduler.map { [$0] } ?? [])
    }
}
