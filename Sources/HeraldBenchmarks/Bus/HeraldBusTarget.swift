import Herald

/// Herald's in-process bus with default subscription options.
struct HeraldBusTarget: BusTarget {
    static let name = "herald"
    let bus: EventBus

    static func supports(_ scenario: BusScenario) -> Bool { true }

    init(scenario: BusScenario, handler: @escaping @Sendable (Event) -> Void) async throws {
        bus = EventBus()
        for pattern in scenario.heraldPatterns {
            try bus.subscribe(pattern, options: SubscriptionOptions(concurrency: scenario.concurrency)) { event in
                handler(event)
            }
        }
    }

    func publish(_ event: Event) async throws {
        try await bus.publish(event)
    }

    func finish() async throws {
        await bus.waitUntilIdle()
        await bus.shutdown()
    }
}
