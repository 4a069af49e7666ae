import Foundation

/// The stream processor of the sensor demo: turns readings into per-sensor tumbling-window statistics
/// and alerts, one reading at a time, keeping only each sensor's open window and current run.
///
/// - **Windows.** Each sensor has one open window; a reading in a later window closes it, and the
///   closed window's ``WindowStatistics`` come out. ``finish()`` closes the windows still open.
///   Readings must come in time order per sensor: one older than its sensor's open window is late, is
///   counted in ``lateReadings`` and is otherwise ignored.
/// - **Alerts.** A reading above its kind's threshold (strictly) extends the sensor's run; one at or
///   below ends it. When a run reaches ``sustainedReadings`` readings, one ``SensorAlert`` comes out; a
///   longer run raises no other, and the next run can raise a new one.
public struct SensorStreamProcessor: Sendable {
    /// The window length in seconds.
    public let window: TimeInterval
    /// The threshold of each kind.
    public let thresholds: [SensorKind: Double]
    /// How many consecutive readings above the threshold make an alert.
    public let sustainedReadings: Int
    /// How many readings came after their sensor's window had moved on, and were ignored.
    public private(set) var lateReadings = 0

    private var openWindows: [String: WindowStatistics] = [:]
    /// Per sensor, the readings of its current run above the threshold: the first one's time and the count.
    private var runs: [String: (since: Date, count: Int)] = [:]

    /// Creates a processor; kinds missing from `thresholds` use ``SensorKind/defaultThreshold``.
    public init(window: Duration, thresholds: [SensorKind: Double] = [:], sustainedReadings: Int) {
        let (seconds, attoseconds) = window.components
        self.window = TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
        self.thresholds = Dictionary(uniqueKeysWithValues: SensorKind.allCases.map { ($0, $0.defaultThreshold) })
            .merging(thresholds) { _, given in given }
        self.sustainedReadings = sustainedReadings
    }

    /// What one reading produced: the windows it closed and the alert it raised, if any.
    public struct Output: Sendable, Hashable {
        /// Windows closed by the reading (at most one: its sensor's previous window).
        public var windows: [WindowStatistics] = []
        /// The alert the reading raised.
        public var alert: SensorAlert?
    }

    /// Takes in one reading.
    public mutating func process(_ reading: SensorReading) -> Output {
        var output = Output()
        let start = WindowStatistics.start(of: reading.time, window: window)
        switch openWindows[reading.sensor] {
        case .some(let open) where start == open.start:
            openWindows[reading.sensor]!.add(reading.value)
        case .some(let open) where start < open.start:
            lateReadings += 1
            return output
        case .some(let open):
            output.windows.append(open)
            openWindows[reading.sensor] = WindowStatistics(first: reading, window: window)
        case .none:
            openWindows[reading.sensor] = WindowStatistics(first: reading, window: window)
        }

        let threshold = thresholds[reading.kind]!
        guard reading.value > threshold else {
            runs[reading.sensor] = nil
            return output
        }
        let run = (since: runs[reading.sensor]?.since ?? reading.time, count: (runs[reading.sensor]?.count ?? 0) + 1)
        runs[reading.sensor] = run
        if run.count == sustainedReadings {
            output.alert = SensorAlert(
                sensor: reading.sensor, kind: reading.kind, threshold: threshold, since: run.since, at: reading.time,
                readings: run.count, value: reading.value)
        }
        return output
    }

    /// Closes every open window and returns them, sorted by sensor: call it when the readings end.
    public mutating func finish() -> [WindowStatistics] {
        defer { openWindows.removeAll() }
        return openWindows.values.sorted { $0.sensor < $1.sensor }
    }
}
