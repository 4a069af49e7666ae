/// What a simulated sensor measures; the kind is the last part of its readings' event type.
public enum SensorKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// Air temperature in degrees Celsius.
    case temperature
    /// Illuminance in lux.
    case light

    /// The unit of the readings.
    public var unit: String {
        switch self {
        case .temperature: "celsius"
        case .light: "lux"
        }
    }

    /// The event type of this kind's readings, such as `sensor.reading.temperature`.
    public var readingType: String { "sensor.reading.\(rawValue)" }

    /// The threshold the demo alerts above unless told another: a hot room, a glaring light.
    public var defaultThreshold: Double {
        switch self {
        case .temperature: 30
        case .light: 800
        }
    }
}
