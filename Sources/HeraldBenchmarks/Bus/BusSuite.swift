import Herald

/// Runs the bus cases against every target that supports them and reports throughput and latency.
struct BusSuite {
    /// Handler calls in a throughput run; divided by the fan-out so every case does the same work.
    let deliveries: Int
    /// Throughput runs per case and target; the median is reported.
    let runs: Int
    /// The steady rate of handler calls per second in latency runs.
    let latencyRate: Int
    /// How long a latency run publishes at that rate.
    let latencyDuration: Duration

    static let targets: [any BusTarget.Type] = [
        HeraldBusTarget.self, AsyncStreamTarget.self, AsyncChannelTarget.self, NotificationCenterTarget.self,
    ]

    func run(cases: Set<String>?, impls: Set<String>?, report: (BenchResult) -> Void) async throws {
        for scenario in BusScenario.all where cases?.contains(scenario.name) ?? true {
            for target in Self.targets where target.supports(scenario) && impls?.contains(target.name) ?? true {
                let throughput = try await measureThroughput(scenario, target)
                let latency = try await measureLatency(scenario, target)
                report(
                    BenchResult(
                        suite: "bus", case: scenario.name, impl: target.name, eventsPerSecond: throughput,
                        p50Microseconds: latency.p50, p99Microseconds: latency.p99))
            }
        }
    }

    /// Publishes as fast as the target takes events; returns handler calls per second (median of runs).
    private func measureThroughput(_ scenario: BusScenario, _ target: any BusTarget.Type) async throws -> Double {
        let events = scenario.makeEvents(count: max(1, deliveries / scenario.deliveriesPerEvent))
        var rates: [Double] = []
        for _ in 0..<runs {
            let counter = DeliveryCounter()
            let bus = try await target.init(scenario: scenario) { _ in counter.increment() }
            let clock = ContinuousClock()
            let elapsed = try await clock.measure {
                try await publish(events, on: bus, publishers: scenario.publishers, pacing: nil)
                try await bus.finish()
            }
            let delivered = counter.value
            precondition(
                delivered == events.count * scenario.deliveriesPerEvent,
                "\(target.name) \(scenario.name): \(delivered) handler calls, expected \(events.count * scenario.deliveriesPerEvent)"
            )
            rates.append(Double(delivered) / elapsed.inSeconds)
        }
        return rates.sorted()[rates.count / 2]
    }

    /// Publishes at a steady `latencyRate` handler calls per second; returns publish-to-handler latency.
    private func measureLatency(_ scenario: BusScenario, _ target: any BusTarget.Type) async throws
        -> (p50: Double, p99: Double)
    {
        let eventsPerSecond = Double(latencyRate) / Double(scenario.deliveriesPerEvent)
        let count = max(1, Int(eventsPerSecond * latencyDuration.inSeconds))
        let events = scenario.makeEvents(count: count)
        let samples = LatencySamples(events: count, deliveriesPerEvent: scenario.deliveriesPerEvent)
        let bus = try await target.init(scenario: scenario) { event in samples.markReceived(Int(event.id)!) }
        let interval = UInt64(1e9 / eventsPerSecond)
        try await publish(events, on: bus, publishers: scenario.publishers, pacing: (samples, interval))
        try await bus.finish()
        return samples.percentiles()
    }

    /// Splits `events` between `publishers` tasks; with pacing, event i is published no earlier than
    /// i × interval after the start, and its publish time recorded.
    private func publish(
        _ events: [Event],
        on bus: any BusTarget,
        publishers: Int,
        pacing: (samples: LatencySamples, interval: UInt64)?
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for publisher in 0..<publishers {
                group.addTask {
                    var index = publisher
                    while index < events.count {
                        if let (samples, interval) = pacing {
                            let due = UInt64(index) * interval
                            while samples.now() < due { await Task.yield() }
                            samples.markSent(index)
                        }
                        try await bus.publish(events[index])
                        index += publishers
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}
