import ServiceLifecycle

/// The bus as a ServiceLifecycle service: it runs until graceful shutdown, then drains within
/// ``EventBus/Configuration/shutdownGracePeriod``.
extension EventBus: Service {
    public func run() async throws {
        // Either graceful shutdown was requested or the service group is being cancelled; in both
        // cases the bus drains, and a cancelled group simply stops waiting sooner.
        try? await gracefulShutdown()
        await shutdown(gracePeriod: configuration.shutdownGracePeriod)
    }
}
