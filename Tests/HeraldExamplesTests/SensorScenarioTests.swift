import Foundation
import Herald
import HeraldExamples
import HeraldSQLite
import HeraldTesting
import Testing

@Suite struct SensorScenarioTests {
    /// 2026-01-01T00:00:00Z, a whole number of windows since 1970 for every window length used here.
    static let start = Date(timeIntervalSince1970: 1_767_225_600)

    static func reading(_ sensor: String = "temp-1", at seconds: Double, _ value: Double) -> SensorReading {
        SensorReading(sensor: sensor, kind: .temperature, time: start.addingTimeInterval(seconds), value: value)
    }

    @Test func aReadingOnAWindowBoundaryOpensTheNextWindow() {
        var processor = SensorStreamProcessor(window: .seconds(5), sustainedReadings: 3)
        #expect(processor.process(Self.reading(at: 0, 20)).windows.isEmpty)
        #expect(processor.process(Self.reading(at: 4.999, 22)).windows.isEmpty)
        let closed = processor.process(Self.reading(at: 5, 24)).windows
        #expect(closed.map(\.start) == [Self.start])
        #expect(closed.map(\.end) == [Self.start.addingTimeInterval(5)])
        #expect(closed.map(\.count) == [2])
        #expect(closed.map(\.mean) == [21])
        let late = processor.process(Self.reading(at: 4.5, 99))
        #expect(late.windows.isEmpty)
        #expect(processor.lateReadings == 1)
        let open = processor.finish()
        #expect(open.map(\.start) == [Self.start.addingTimeInterval(5)])
        #expect(open.map(\.count) == [1])
    }

    @Test func anAlertFiresOnceWhenTheThresholdIsExceededForTheSustainedReadings() {
        var processor = SensorStreamProcessor(
            window: .seconds(60), thresholds: [.temperature: 30], sustainedReadings: 3)
        // Two above, then one exactly at the threshold (not above) ends the run; then five above: one alert
        // at the third of them; then below and three above again: a second alert.
        let values: [Double] = [31, 32, 30, 31, 31, 35, 36, 31, 29, 31, 31, 31]
        var alerts: [(index: Int, alert: SensorAlert)] = []
        for (index, value) in values.enumerated() {
            if let alert = processor.process(Self.reading(at: Double(index), value)).alert {
                alerts.append((index, alert))
            }
        }
        #expect(alerts.map(\.index) == [5, 11])
        #expect(alerts.map(\.alert.since) == [Self.start.addingTimeInterval(3), Self.start.addingTimeInterval(9)])
        #expect(alerts.map(\.alert.readings) == [3, 3])
        #expect(alerts.first?.alert.value == 35)
    }

    @Test(arguments: [(2.0, Duration.seconds(5)), (3.0, Duration.seconds(2))])
    func windowsAndAlertsEqualADirectComputationOverTheStoredReadings(rate: Double, window: Duration) async throws {
        var configuration = SensorScenario.Configuration()
        configuration.sensors = 3
        configuration.rate = rate
        configuration.readingsPerSensor = 90
        configuration.window = window
        configuration.sustainedReadings = 3
        let store = try await SQLiteEventStore.openTemporary()
        let report = try await withTimeLimit(testHangLimit, "the sensor scenario") { [configuration] in
            try await SensorScenario.run(
                configuration, channel: .store(store), clock: SimulatedWallClock(start: Self.start)
            ) { _ in }
        }
        let readings = try await Self.events(in: store, topic: "sensor.reading.>").map(SensorReading.init(event:))
        #expect(readings.count == 3 * 90)
        #expect(readings.map(\.sensor) == report.readings.map(\.sensor))
        #expect(report.lateReadings == 0)

        let windows = try await Self.events(in: store, topic: "sensor.window").map {
            try $0.decode(WindowStatistics.self)
        }
        let expectedWindows = Self.windows(of: readings, length: window)
        #expect(Set(expectedWindows.map(\.sensor)).count == 3)
        #expect(windows.count == expectedWindows.count)
        for expected in expectedWindows {
            let found = windows.first { $0.sensor == expected.sensor && $0.start == expected.start }
            #expect(found?.end == expected.end)
            #expect(found?.count == expected.count)
            #expect(found?.min == expected.min)
            #expect(found?.max == expected.max)
            #expect(abs((found?.mean ?? .nan) - expected.mean) < 1e-9)
        }

        let alerts = try await Self.events(in: store, topic: "sensor.alert").map { try $0.decode(SensorAlert.self) }
        let expectedAlerts = Self.sustainedRuns(in: readings, thresholds: [.temperature: 30, .light: 800], length: 3)
        #expect(!expectedAlerts.isEmpty)
        #expect(
            Set(alerts.map { [$0.sensor, RFC3339.format($0.since), RFC3339.format($0.at)] }) == Set(expectedAlerts))
        #expect(alerts.count == expectedAlerts.count)
        try await store.close()
    }

    @Test func theQueryBySensorAndTimeRangeReturnsExactlyTheReadingsInRange() async throws {
        var configuration = SensorScenario.Configuration()
        configuration.readingsPerSensor = 40
        let store = try await SQLiteEventStore.openTemporary()
        let report = try await withTimeLimit(testHangLimit, "the sensor scenario") { [configuration] in
            try await SensorScenario.run(
                configuration, channel: .store(store), clock: SimulatedWallClock(start: Self.start)
            ) { _ in }
        }
        // The scenario's own query: the second window of temp-1, 10 readings at 2 a second.
        let sample = try #require(report.sampleQuery)
        #expect(sample.sensor == "temp-1")
        #expect(sample.readings == report.readings.filter { $0.sensor == "temp-1" && sample.time.contains($0.time) })
        #expect(sample.readings.count == 10)

        // Bounds on readings and between them: from is inclusive, until exclusive.
        for (from, until) in [(0.0, 5.0), (2.5, 7.5), (3.25, 3.75), (19.5, 100.0), (7.0, 7.0)] {
            let range = Self.start.addingTimeInterval(from)..<Self.start.addingTimeInterval(until)
            let found = try await SensorScenario.readings(of: "light-2", in: range, channel: .store(store))
            let expected = report.readings.filter { $0.sensor == "light-2" && range.contains($0.time) }
            #expect(found == expected, "from \(from) until \(until)")
        }
        try await store.close()
    }

    @Test func againstAServerTheProcessorReadsTheEventStreamAndTheQueryUsesTheTimeRange() async throws {
        var configuration = SensorScenario.Configuration()
        configuration.sensors = 2
        configuration.readingsPerSensor = 30
        let server = LiveServer()
        try await server.run { [configuration] client in
            let report = try await withTimeLimit(testHangLimit, "the sensor scenario against a server") {
                [configuration] in
                try await SensorScenario.run(
                    configuration, channel: .server(client), clock: SimulatedWallClock(start: Self.start)
                ) { _ in }
            }
            let sample = try #require(report.sampleQuery)
            #expect(
                sample.readings == report.readings.filter { $0.sensor == "temp-1" && sample.time.contains($0.time) })
            #expect(sample.readings.count == 10)
        }
        let readings = try await Self.events(in: server.store, topic: "sensor.reading.>").map(
            SensorReading.init(event:))
        #expect(readings.count == 60)
        let windows = try await Self.events(in: server.store, topic: "sensor.window").map {
            try $0.decode(WindowStatistics.self)
        }
        #expect(Set(windows) == Set(Self.windows(of: readings, length: .seconds(5))))
    }

    /// Every stored event whose type matches `topic`, in order.
    static func events(in store: any EventLog, topic: String) async throws -> [Event] {
        try await store.read(after: 0, filter: EventFilter(topic: try TopicPattern(topic)), limit: 10_000).events
            .map(\.event)
    }

    /// The statistics of each sensor's readings in each window, computed over all of them at once.
    static func windows(of readings: [SensorReading], length: Duration) -> [WindowStatistics] {
        let seconds = Double(length.components.seconds)
        let groups = Dictionary(grouping: readings) { reading in
            [reading.sensor, "\((reading.time.timeIntervalSince1970 / seconds).rounded(.down))"]
        }
        return groups.values.map { group in
            let values = group.map(\.value)
            let index = (group[0].time.timeIntervalSince1970 / seconds).rounded(.down)
            return WindowStatistics(
                sensor: group[0].sensor, kind: group[0].kind, start: Date(timeIntervalSince1970: index * seconds),
                end: Date(timeIntervalSince1970: (index + 1) * seconds), count: values.count, min: values.min()!,
                max: values.max()!, sum: values.reduce(0, +))
        }
    }

    /// Per sensor, the first and the `length`-th reading of each run of at least `length` readings above
    /// the threshold.
    static func sustainedRuns(in readings: [SensorReading], thresholds: [SensorKind: Double], length: Int)
        -> [[String]]
    {
        var runs: [[String]] = []
        for sensor in Set(readings.map(\.sensor)) {
            var run: [SensorReading] = []
            for reading in readings where reading.sensor == sensor {
                run = reading.value > thresholds[reading.kind]! ? run + [reading] : []
                if run.count == length {
                    runs.append([sensor, RFC3339.format(run[0].time), RFC3339.format(reading.time)])
                }
            }
        }
        return runs
    }
}
