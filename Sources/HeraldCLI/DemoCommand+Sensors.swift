import ArgumentParser
import Foundation
import Herald
import HeraldExamples

extension DemoCommand {
    /// `herald demo sensors`.
    struct Sensors: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Simulated sensors, per-window statistics and sustained-threshold alerts.",
            discussion: """
                Temperature and light sensors publish sensor.reading.<kind> events (subject: the sensor, \
                time: when measured); a stream processor publishes sensor.window statistics (count, min, max, \
                mean) per sensor and tumbling window, and a sensor.alert when a sensor reads above its \
                threshold for --sustain readings in a row. With --readings the readings run on simulated \
                time, as fast as they can; with --duration they are paced in real time, which suits watching \
                them on a server's dashboard (--server). Source: Examples/Sensors/SensorScenario.swift.
                """
        )

        @Option(help: "How many sensors; odd ones measure temperature, even ones light.")
        var sensors = 4

        @Option(help: "Readings per second per sensor.")
        var rate = 2.0

        @Option(help: "Run this many seconds in real time.")
        var duration: Double?

        @Option(help: "Readings per sensor, on simulated time. (default: 120 unless --duration)")
        var readings: Int?

        @Option(help: "The tumbling window's length in seconds.")
        var window = 5.0

        @Option(
            help:
                "An alert threshold as KIND=VALUE, such as temperature=28 or light=700; repeatable. (default: \(Self.defaultThresholds))"
        )
        var threshold: [String] = []

        @Option(help: "How many consecutive readings above the threshold raise an alert.")
        var sustain = 3

        @OptionGroup var target: DemoTargetOptions

        static let defaultThresholds = SensorKind.allCases.map { "\($0.rawValue)=\(Int($0.defaultThreshold))" }
            .joined(separator: ", ")

        func validate() throws {
            guard (1...1000).contains(sensors) else {
                throw ValidationError("--sensors must be 1 to 1000, got \(sensors)")
            }
            guard rate > 0, rate <= 1000 else {
                throw ValidationError("--rate must be above 0 and at most 1000, got \(rate)")
            }
            guard duration == nil || readings == nil else {
                throw ValidationError("give --duration (real time) or --readings (simulated time), not both")
            }
            if let duration, !(duration > 0) {
                throw ValidationError("--duration must be above 0 seconds, got \(duration)")
            }
            if let readings, readings < 1 { throw ValidationError("--readings must be at least 1, got \(readings)") }
            guard window >= 0.001 else {
                throw ValidationError("--window must be at least 0.001 seconds, got \(window)")
            }
            guard sustain >= 1 else { throw ValidationError("--sustain must be at least 1, got \(sustain)") }
            if target.store != nil, target.server != nil {
                throw ValidationError("give --store or --server, not both: with --server the events are kept there")
            }
            _ = try thresholds()
        }

        /// `--threshold` as a dictionary.
        func thresholds() throws -> [SensorKind: Double] {
            var thresholds: [SensorKind: Double] = [:]
            for text in threshold {
                let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, let kind = SensorKind(rawValue: parts[0]), let value = Double(parts[1]),
                    value.isFinite
                else {
                    let kinds = SensorKind.allCases.map(\.rawValue).joined(separator: " or ")
                    throw ValidationError(
                        "--threshold '\(text)' is not KIND=VALUE with KIND \(kinds) and a number, such as temperature=28"
                    )
                }
                thresholds[kind] = value
            }
            return thresholds
        }

        /// The scenario's configuration from the options.
        func scenarioConfiguration() throws -> SensorScenario.Configuration {
            var configuration = SensorScenario.Configuration()
            configuration.sensors = sensors
            configuration.rate = rate
            configuration.readingsPerSensor = duration.map { max(1, Int(($0 * rate).rounded())) } ?? readings ?? 120
            configuration.window = .milliseconds(Int64((window * 1000).rounded()))
            configuration.thresholds = try thresholds()
            configuration.sustainedReadings = sustain
            return configuration
        }

        func run() async throws {
            let configuration = try scenarioConfiguration()
            let clock: any WallClock = duration == nil ? SimulatedWallClock(start: Date()) : SystemWallClock()
            if let options = try target.serverOptions() {
                try await options.withClient { client in
                    _ = try await SensorScenario.run(
                        configuration, channel: .server(client), clock: clock, print: Output.line)
                }
            } else {
                try await target.withStore { store in
                    _ = try await SensorScenario.run(
                        configuration, channel: .store(store), clock: clock, print: Output.line)
                }
            }
        }
    }
}
