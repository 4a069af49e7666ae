import Foundation
import Herald

/// The statistics of one sensor's readings in one tumbling window, published as a `sensor.window` event.
///
/// A window covers `start` inclusive to `end` exclusive; windows are aligned to whole multiples of their
/// length since 1970, so a reading exactly on a boundary opens the next window.
public struct WindowStatistics: EventPayload, Hashable {
    public static let eventType = "sensor.window"

    /// The sensor's id.
    public var sensor: String
    /// What it measures.
    public var kind: SensorKind
    /// The window's first instant.
    public var start: Date
    /// The instant after the window.
    public var end: Date
    /// How many readings fell in the window.
    public var count: Int
    /// The smallest reading.
    public var min: Double
    /// The largest reading.
    public var max: Double
    /// The sum of the readings.
    public private(set) var sum: Double
    /// The mean of the readings: ``sum`` divided by ``count``.
    public private(set) var mean: Double

    /// The statistics of a window holding only `reading`.
    public init(first reading: SensorReading, window: TimeInterval) {
        let start = Self.start(of: reading.time, window: window)
        self.init(
            sensor: reading.sensor, kind: reading.kind, start: start, end: start.addingTimeInterval(window),
            count: 1, min: reading.value, max: reading.value, sum: reading.value)
    }

    /// Creates statistics from their parts.
    public init(
        sensor: String, kind: SensorKind, start: Date, end: Date, count: Int, min: Double, max: Double, sum: Double
    ) {
        self.sensor = sensor
        self.kind = kind
        self.start = start
        self.end = end
        self.count = count
        self.min = min
        self.max = max
        self.sum = sum
        self.mean = sum / Double(count)
    }

    /// The first instant of the window of length `window` seconds that holds `time`.
    public static func start(of time: Date, window: TimeInterval) -> Date {
        Date(timeIntervalSince1970: (time.timeIntervalSince1970 / window).rounded(.down) * window)
    }

    /// Adds a reading that falls in this window.
    public mutating func add(_ value: Double) {
        count += 1
        min = Swift.min(min, value)
        max = Swift.max(max, value)
        sum += value
        mean = sum / Double(count)
    }

    /// The statistics as an event at the window's start; the id names the sensor and window, so a
    /// window published twice is stored once.
    public func event() throws -> Event {
        try Event(
            self, source: "/sensors/processor", id: "window-\(sensor)@\(RFC3339.format(start))", subject: sensor,
            time: start)
    }
}
