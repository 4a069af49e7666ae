import Foundation
import Herald

/// A sensor read above its threshold for a sustained period, published as a `sensor.alert` event at the
/// time of the reading that made the period sustained.
public struct SensorAlert: EventPayload, Hashable {
    public static let eventType = "sensor.alert"

    /// The sensor's id.
    public var sensor: String
    /// What it measures.
    public var kind: SensorKind
    /// The threshold the readings were above.
    public var threshold: Double
    /// When the first reading above the threshold was taken.
    public var since: Date
    /// When the reading that raised the alert was taken.
    public var at: Date
    /// How many consecutive readings were above the threshold when the alert was raised.
    public var readings: Int
    /// The value of the reading that raised the alert.
    public var value: Double

    /// Creates an alert.
    public init(
        sensor: String, kind: SensorKind, threshold: Double, since: Date, at: Date, readings: Int, value: Double
    ) {
        self.sensor = sensor
        self.kind = kind
        self.threshold = threshold
        self.since = since
        self.at = at
        self.readings = readings
        self.value = value
    }

    /// The alert as an event; the id names the sensor and the start of the period, so an alert published
    /// twice is stored once.
    public func event() throws -> Event {
        try Event(
            self, source: "/sensors/processor", id: "alert-\(sensor)@\(RFC3339.format(since))", subject: sensor,
            time: at)
    }
}
