import Foundation
import Herald

/// One measurement of a sensor, published as a `sensor.reading.<kind>` event whose `subject` is the
/// sensor and whose `time` is when it was measured.
///
/// Its data is `{"sensor":"temp-1","kind":"temperature","value":23.5,"unit":"celsius"}`.
public struct SensorReading: Sendable, Hashable {
    /// The sensor's id, such as `temp-1`.
    public var sensor: String
    /// What it measures.
    public var kind: SensorKind
    /// When it was measured.
    public var time: Date
    /// The measured value, in ``SensorKind/unit``.
    public var value: Double

    /// Creates a reading.
    public init(sensor: String, kind: SensorKind, time: Date, value: Double) {
        self.sensor = sensor
        self.kind = kind
        self.time = time
        self.value = value
    }

    private struct Payload: EventPayload {
        static let eventType = "sensor.reading"
        var sensor: String
        var kind: SensorKind
        var value: Double
        var unit: String
    }

    /// The reading as an event; its id is the sensor and time, so publishing it twice stores it once.
    public func event() throws -> Event {
        var event = try Event(
            Payload(sensor: sensor, kind: kind, value: value, unit: kind.unit),
            source: "/sensors/\(sensor)", id: "\(sensor)@\(RFC3339.format(time))", subject: sensor, time: time)
        event.type = kind.readingType
        return event
    }

    /// Reads a reading back from its event.
    ///
    /// - Throws: ``PayloadDecodingError`` when the data is not a reading or the event has no `time`.
    public init(event: Event) throws {
        let payload = try event.decode(Payload.self)
        guard let time = event.time else {
            throw PayloadDecodingError(
                payloadType: "SensorReading", eventType: event.type, eventID: event.id, fieldPath: "time",
                reason: "a sensor reading must have a time")
        }
        self.init(sensor: payload.sensor, kind: payload.kind, time: time, value: payload.value)
    }
}
