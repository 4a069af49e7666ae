import Foundation

/// Simulated temperature and light sensors: each tick, every sensor takes one reading.
///
/// Sensor `n` (from 1) is `temp-n` for odd `n` and `light-n` for even `n`. Values follow a slow wave
/// (a period of ``period`` seconds, shifted per sensor) with noise, so they cross their default
/// thresholds for a few seconds in each period. Everything is computed from the sensor and the tick,
/// so the same ticks give the same readings on every run.
public struct SensorSimulator: Sendable {
    /// The sensors' ids and kinds, in order.
    public let sensors: [(id: String, kind: SensorKind)]
    /// Readings per second per sensor.
    public let rate: Double
    /// The time of tick 0.
    public let start: Date
    /// The wave's period in seconds.
    public static let period = 30.0

    /// Creates `sensorCount` sensors reading `rate` times a second from `start`.
    public init(sensorCount: Int, rate: Double, start: Date) {
        sensors = (1...max(sensorCount, 1)).map { number in
            number % 2 == 1
                ? (id: "temp-\(number)", kind: SensorKind.temperature) : (id: "light-\(number)", kind: SensorKind.light)
        }
        self.rate = rate
        self.start = start
    }

    /// When tick `tick` is taken: `start + tick / rate`.
    public func time(ofTick tick: Int) -> Date {
        start.addingTimeInterval(Double(tick) / rate)
    }

    /// Every sensor's reading at tick `tick`.
    public func readings(tick: Int) -> [SensorReading] {
        let time = time(ofTick: tick)
        return sensors.enumerated().map { index, sensor in
            let phase = Double(tick) / rate / Self.period + Double(index) * 0.37
            let wave = sin(2 * .pi * phase)
            let noise = Self.noise(sensor: index, tick: tick)
            let value =
                switch sensor.kind {
                case .temperature: ((25 + 7 * wave + noise) * 10).rounded() / 10
                case .light: max(0, (450 + 450 * wave + 40 * noise).rounded())
                }
            return SensorReading(sensor: sensor.id, kind: sensor.kind, time: time, value: value)
        }
    }

    /// A number in -1...1 that depends only on the sensor and the tick (SplitMix64's mixing).
    private static func noise(sensor: Int, tick: Int) -> Double {
        var bits = UInt64(truncatingIfNeeded: sensor) << 32 ^ UInt64(truncatingIfNeeded: tick)
        bits = (bits ^ (bits >> 30)) &* 0xbf58_476d_1ce4_e5b9
        bits = (bits ^ (bits >> 27)) &* 0x94d0_49bb_1331_11eb
        bits ^= bits >> 31
        return Double(bits >> 11) / Double(1 << 53) * 2 - 1
    }
}
