import Foundation
import Herald

/// The sensor demo (`herald demo sensors`): simulated sensors publish readings, a stream processor turns
/// them into window statistics and alerts, and the readings stay queryable by sensor and time.
///
/// Read it in this order:
/// 1. ``SensorSimulator`` makes `temp-n` and `light-n` sensors read a value each tick; every tick's
///    readings are published as one batch of `sensor.reading.<kind>` events (``SensorReading``) whose
///    `subject` is the sensor and whose `time` is when it was measured. Ticks are paced by a
///    ``WallClock``: the system clock runs in real time, a ``SimulatedWallClock`` as fast as it can.
/// 2. ``SensorStreamProcessor`` follows the readings from the log (from the server's event stream with
///    `--server`) and publishes a `sensor.window` event (``WindowStatistics``: count, min, max, mean) per
///    sensor and tumbling window, and a `sensor.alert` (``SensorAlert``) when a sensor reads above its
///    threshold for ``Configuration/sustainedReadings`` readings in a row.
/// 3. At the end, the readings of one sensor in one window are read back by sensor and time range, as
///    `herald query --subject temp-1 --from ... --until ...` and `GET /v1/events?time_from=&time_until=` do.
public enum SensorScenario {
    /// What the demo simulates.
    public struct Configuration: Sendable {
        /// How many sensors there are; odd ones measure temperature, even ones light.
        public var sensors = 4
        /// Readings per second per sensor.
        public var rate = 2.0
        /// How many readings each sensor takes.
        public var readingsPerSensor = 120
        /// The length of the tumbling windows.
        public var window = Duration.seconds(5)
        /// Thresholds per kind; missing kinds use ``SensorKind/defaultThreshold``.
        public var thresholds: [SensorKind: Double] = [:]
        /// How many consecutive readings above the threshold raise an alert.
        public var sustainedReadings = 3

        /// Creates the default configuration: 4 sensors, 2 readings a second, 120 readings each, 5-second
        /// windows, alerts after 3 readings above the threshold.
        public init() {}
    }

    /// What the demo published and read back.
    public struct Report: Sendable {
        /// Every reading published, in order.
        public var readings: [SensorReading] = []
        /// The window statistics the processor published, in order.
        public var windows: [WindowStatistics] = []
        /// The alerts the processor published, in order.
        public var alerts: [SensorAlert] = []
        /// Readings the processor ignored as late.
        public var lateReadings = 0
        /// The query made at the end: one sensor, one window's time range, and the readings it returned.
        public var sampleQuery: (sensor: String, time: Range<Date>, readings: [SensorReading])?
    }

    /// Runs the demo, publishing to and reading from `channel`, paced by `clock`, and printing each alert
    /// and a summary with `print`.
    public static func run(
        _ configuration: Configuration,
        channel: EventChannel,
        clock: any WallClock = SystemWallClock(),
        print: @escaping @Sendable (String) -> Void = { Swift.print($0) }
    ) async throws -> Report {
        let after = try await channel.lastSequence()
        let simulator = SensorSimulator(sensorCount: configuration.sensors, rate: configuration.rate, start: clock.now)
        print(
            "\(simulator.sensors.count) sensors, \(configuration.rate) readings/s each, "
                + "\(configuration.readingsPerSensor) readings per sensor, windows of \(configuration.window)")
        async let processed = process(
            configuration, expected: simulator.sensors.count * configuration.readingsPerSensor, channel: channel,
            after: after, print: print)
        var published: [SensorReading] = []
        for tick in 0..<configuration.readingsPerSensor {
            try await clock.sleep(until: simulator.time(ofTick: tick))
            let batch = simulator.readings(tick: tick)
            try await channel.publish(try batch.map { try $0.event() })
            published += batch
        }
        var report = try await processed
        report.readings = published

        for (id, _) in simulator.sensors {
            let windows = report.windows.filter { $0.sensor == id }
            let last = windows.last.map {
                "; last window n=\($0.count) min \($0.min) max \($0.max) mean \(($0.mean * 100).rounded() / 100)"
            }
            print(
                "\(id): \(published.count { $0.sensor == id }) readings, \(windows.count) windows, "
                    + "\(report.alerts.count { $0.sensor == id }) alerts\(last ?? "")")
        }
        // A full window of the first sensor (its first one may have started before the readings did).
        let ofFirst = report.windows.filter { $0.sensor == simulator.sensors[0].id }
        if let window = ofFirst.dropFirst().first ?? ofFirst.first {
            let range = window.start..<window.end
            let found = try await Self.readings(of: window.sensor, in: range, channel: channel)
            report.sampleQuery = (window.sensor, range, found)
            let (from, until) = (RFC3339.format(range.lowerBound), RFC3339.format(range.upperBound))
            print(
                "\(found.count) readings of \(window.sensor) from \(from) until \(until), as "
                    + "herald query --topic 'sensor.reading.>' --subject \(window.sensor) --from \(from) --until \(until)"
            )
        }
        return report
    }

    /// The readings of `sensor` whose time is in `time`, read back from `channel` by sensor and time range.
    public static func readings(of sensor: String, in time: Range<Date>, channel: EventChannel) async throws
        -> [SensorReading]
    {
        try await channel.query(topic: try TopicPattern("sensor.reading.>"), subject: sensor, time: time)
            .map(SensorReading.init(event:))
    }

    /// The stream processor's loop: follows `expected` readings after `after`, publishing windows and
    /// alerts as they come, then the windows still open.
    private static func process(
        _ configuration: Configuration,
        expected: Int,
        channel: EventChannel,
        after: Int64,
        print: @Sendable (String) -> Void
    ) async throws -> Report {
        var processor = SensorStreamProcessor(
            window: configuration.window, thresholds: configuration.thresholds,
            sustainedReadings: configuration.sustainedReadings)
        var report = Report()
        var seen = 0
        try await channel.follow(topic: try TopicPattern("sensor.reading.>"), after: after) { stored in
            let output = processor.process(try SensorReading(event: stored.event))
            var events = try output.windows.map { try $0.event() }
            if let alert = output.alert {
                events.append(try alert.event())
                print(
                    "ALERT \(alert.sensor): above \(alert.threshold) \(alert.kind.unit) for \(alert.readings) "
                        + "readings since \(RFC3339.format(alert.since)), now \(alert.value)")
                report.alerts.append(alert)
            }
            try await channel.publish(events)
            report.windows += output.windows
            seen += 1
            return seen < expected
        }
        let open = processor.finish()
        try await channel.publish(try open.map { try $0.event() })
        report.windows += open
        report.lateReadings = processor.lateReadings
        return report
    }
}
