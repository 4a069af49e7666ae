import Foundation
import Herald
import HeraldClient

extension Output {
    /// The table `herald schedules list` prints: a header, then one row per schedule; `-` for a schedule
    /// that never fires again.
    static func schedulesTable(_ schedules: [ScheduleStatus]) -> [String] {
        let header = ["NAME", "TRIGGER", "NEXT_FIRE", "PAUSED"]
        return table(
            [header]
                + schedules.map {
                    [
                        $0.name, triggerText($0.schedule.trigger), $0.nextFireAt.map(RFC3339.format) ?? "-",
                        $0.schedule.isPaused ? "yes" : "no",
                    ]
                })
    }

    /// A trigger in a few words: `cron */5 * * * * (Europe/Berlin)`, `every 5m`, `at 2026-12-24T18:00:00Z`.
    static func triggerText(_ trigger: ScheduleTrigger) -> String {
        switch trigger {
        case .cron(let expression, let timeZone):
            return "cron \(singleLine(expression.source)) (\(timeZone.identifier))"
        case .interval(let interval, _):
            let milliseconds =
                interval.components.seconds * 1_000 + interval.components.attoseconds / 1_000_000_000_000_000
            let units: [(Int64, String)] = [(86_400_000, "d"), (3_600_000, "h"), (60_000, "m"), (1_000, "s")]
            let unit = units.first { milliseconds % $0.0 == 0 }
            return "every " + (unit.map { "\(milliseconds / $0.0)\($0.1)" } ?? "\(milliseconds)ms")
        case .once(let instant):
            return "at \(RFC3339.format(instant))"
        }
    }
}
