import Foundation
import Testing

@testable import Herald

@Suite struct CronExpressionTests {
    static let utc = TimeZone(identifier: "UTC")!
    static let berlin = TimeZone(identifier: "Europe/Berlin")!

    /// The instant of a wall-clock time written `yyyy-MM-dd HH:mm` with an explicit UTC offset in seconds.
    static func instant(_ text: String, offset: Int = 0) -> Date {
        let parts = text.split(whereSeparator: { "- :".contains($0) }).map { Int($0)! }
        let wall = CronWallClock(year: parts[0], month: parts[1], day: parts[2], hour: parts[3], minute: parts[4])
        return Date(timeIntervalSince1970: TimeInterval(wall.localSeconds - offset))
    }

    /// The next `count` fire instants in UTC, written `yyyy-MM-dd HH:mm` (with the UTC offset when not UTC).
    static func fires(_ cron: String, after start: Date, in zone: TimeZone = utc, count: Int = 5) throws -> [String] {
        let expression = try CronExpression(cron)
        var result: [String] = []
        var date = start
        for _ in 0..<count {
            guard let next = expression.next(after: date, in: zone) else { break }
            result.append(format(next, in: zone))
            date = next
        }
        return result
    }

    static func format(_ date: Date, in zone: TimeZone) -> String {
        let offset = zone.secondsFromGMT(for: date)
        let wall = CronWallClock(localSeconds: Int(date.timeIntervalSince1970) + offset)
        var text = String(
            format: "%04d-%02d-%02d %02d:%02d",
            wall.year,
            wall.month,
            wall.day,
            wall.hour,
            wall.minute
        )
        if zone != utc { text += String(format: "%+03d", offset / 3600) }
        return text
    }

    // MARK: Features

    @Test func everyMinuteIsStrictlyAfterTheGivenInstant() throws {
        #expect(
            try Self.fires("* * * * *", after: Self.instant("2024-01-01 10:00"), count: 2) == [
                "2024-01-01 10:01", "2024-01-01 10:02",
            ])
        let withSeconds = Self.instant("2024-01-01 10:00").addingTimeInterval(59.9)
        #expect(try Self.fires("* * * * *", after: withSeconds, count: 1) == ["2024-01-01 10:01"])
    }

    @Test func listsRangesAndSteps() throws {
        let start = Self.instant("2024-01-01 00:00")
        #expect(
            try Self.fires("*/20 * * * *", after: start, count: 4) == [
                "2024-01-01 00:20", "2024-01-01 00:40", "2024-01-01 01:00", "2024-01-01 01:20",
            ])
        #expect(
            try Self.fires("5/15 9 * * *", after: start, count: 5) == [
                "2024-01-01 09:05", "2024-01-01 09:20", "2024-01-01 09:35", "2024-01-01 09:50", "2024-01-02 09:05",
            ])
        #expect(
            try Self.fires("0 1-10/4 * * *", after: start, count: 4) == [
                "2024-01-01 01:00", "2024-01-01 05:00", "2024-01-01 09:00", "2024-01-02 01:00",
            ])
        #expect(
            try Self.fires("15,45 8,20 * * *", after: start, count: 5) == [
                "2024-01-01 08:15", "2024-01-01 08:45", "2024-01-01 20:15", "2024-01-01 20:45", "2024-01-02 08:15",
            ])
        #expect(
            try Self.fires("0 0 10-12 * *", after: start, count: 4) == [
                "2024-01-10 00:00", "2024-01-11 00:00", "2024-01-12 00:00", "2024-02-10 00:00",
            ])
    }

    @Test func monthAndWeekdayNamesInAnyCase() throws {
        let start = Self.instant("2024-01-01 00:00")  // a Monday
        #expect(
            try Self.fires("0 12 1 mar-May,Nov *", after: start, count: 4) == [
                "2024-03-01 12:00", "2024-04-01 12:00", "2024-05-01 12:00", "2024-11-01 12:00",
            ])
        #expect(
            try Self.fires("0 9 * * MON-fri", after: start, count: 6) == [
                "2024-01-01 09:00", "2024-01-02 09:00", "2024-01-03 09:00", "2024-01-04 09:00", "2024-01-05 09:00",
                "2024-01-08 09:00",
            ])
        #expect(try CronExpression("0 0 * JAN,feb * ") == CronExpression("0 0 * JAN,feb * "))
    }

    @Test func sundayIsZeroOrSeven() throws {
        let start = Self.instant("2024-01-01 00:00")
        let sundays = ["2024-01-07 00:00", "2024-01-14 00:00"]
        #expect(try Self.fires("0 0 * * 0", after: start, count: 2) == sundays)
        #expect(try Self.fires("0 0 * * 7", after: start, count: 2) == sundays)
        #expect(try Self.fires("0 0 * * sun", after: start, count: 2) == sundays)
        #expect(
            try Self.fires("0 0 * * 6-7", after: start, count: 3) == [
                "2024-01-06 00:00", "2024-01-07 00:00", "2024-01-13 00:00",
            ])
    }

    @Test func macros() throws {
        let start = Self.instant("2024-01-03 10:30")  // a Wednesday
        #expect(try Self.fires("@hourly", after: start, count: 2) == ["2024-01-03 11:00", "2024-01-03 12:00"])
        #expect(try Self.fires("@daily", after: start, count: 1) == ["2024-01-04 00:00"])
        #expect(try Self.fires("@midnight", after: start, count: 1) == ["2024-01-04 00:00"])
        #expect(try Self.fires("@weekly", after: start, count: 1) == ["2024-01-07 00:00"])
        #expect(try Self.fires("@monthly", after: start, count: 1) == ["2024-02-01 00:00"])
        #expect(try Self.fires("@yearly", after: start, count: 1) == ["2025-01-01 00:00"])
        #expect(try Self.fires("@ANNUALLY", after: start, count: 1) == ["2025-01-01 00:00"])
    }

    @Test func dayOfMonthOrDayOfWeekWhenBothRestricted() throws {
        let start = Self.instant("2024-09-01 00:00")
        // Every 13th and every Friday.
        #expect(
            try Self.fires("0 0 13 * FRI", after: start, count: 4) == [
                "2024-09-06 00:00", "2024-09-13 00:00", "2024-09-20 00:00", "2024-09-27 00:00",
            ])
        // One side `*`: both must match, so only Friday the 13th.
        #expect(try Self.fires("0 0 13 * *", after: start, count: 2) == ["2024-09-13 00:00", "2024-10-13 00:00"])
        #expect(try Self.fires("0 0 * * FRI", after: start, count: 2) == ["2024-09-06 00:00", "2024-09-13 00:00"])
        // `*/2` counts as restricted (only a bare `*` does not), as in Vixie cron and croniter.
        #expect(
            try Self.fires("0 0 */10 * MON", after: start, count: 4) == [
                "2024-09-02 00:00", "2024-09-09 00:00", "2024-09-11 00:00", "2024-09-16 00:00",
            ])
    }

    @Test func february29OnlyInLeapYears() throws {
        #expect(
            try Self.fires("0 0 29 2 *", after: Self.instant("2023-01-01 00:00"), count: 3) == [
                "2024-02-29 00:00", "2028-02-29 00:00", "2032-02-29 00:00",
            ])
        // 2100 is not a leap year: the next one after 2096 is 2104, within the search window.
        #expect(
            try Self.fires("0 0 29 2 *", after: Self.instant("2096-03-01 00:00"), count: 1) == [
                "2104-02-29 00:00"
            ])
    }

    @Test func neverMatchingExpressionsReturnNilQuickly() throws {
        let clock = ContinuousClock()
        let elapsed = try clock.measure {
            for cron in ["0 0 30 2 *", "0 0 31 4,6,9,11 *", "59 23 31 feb,apr *"] {
                let expression = try CronExpression(cron)
                #expect(expression.next(after: Self.instant("2024-01-01 00:00"), in: Self.berlin) == nil)
            }
        }
        #expect(elapsed < .seconds(1))
        // OR rule: day 30 never comes in February, but Mondays do.
        #expect(
            try Self.fires("0 0 30 2 MON", after: Self.instant("2024-01-01 00:00"), count: 1) == [
                "2024-02-05 00:00"
            ])
    }

    @Test func sparseExpressionsAreFound() throws {
        // Only a few matches per year, far from the start: must not step minute by minute.
        let clock = ContinuousClock()
        var fired: [String] = []
        let elapsed = try clock.measure {
            fired = try Self.fires("59 23 31 12 *", after: Self.instant("2024-01-01 00:00"), count: 3)
        }
        #expect(fired == ["2024-12-31 23:59", "2025-12-31 23:59", "2026-12-31 23:59"])
        #expect(elapsed < .seconds(1))
    }

    // MARK: Time zones and daylight saving

    @Test func evaluatesInTheGivenTimeZone() throws {
        let start = Self.instant("2024-01-15 00:00")
        #expect(try Self.fires("0 9 * * *", after: start, in: Self.berlin, count: 1) == ["2024-01-15 09:00+01"])
        let next = try CronExpression("0 9 * * *").next(after: start, in: Self.berlin)
        #expect(next == Self.instant("2024-01-15 08:00"))
    }

    @Test func springForwardGapIsSkippedInBerlin() throws {
        // 2024-03-31: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist that day.
        let start = Self.instant("2024-03-30 12:00", offset: 3600)
        #expect(
            try Self.fires("30 2 * * *", after: start, in: Self.berlin, count: 3) == [
                "2024-04-01 02:30+02", "2024-04-02 02:30+02", "2024-04-03 02:30+02",
            ])
        #expect(
            try Self.fires("*/20 * * * *", after: Self.instant("2024-03-31 01:30", offset: 3600), in: Self.berlin)
                == [
                    "2024-03-31 01:40+01", "2024-03-31 03:00+02", "2024-03-31 03:20+02", "2024-03-31 03:40+02",
                    "2024-03-31 04:00+02",
                ])
    }

    @Test func fallBackRepeatedTimeFiresOnceForNamedHoursAndAtBothPassesForEveryHour() throws {
        // 2024-10-27: 03:00 CEST falls back to 02:00 CET; 02:00-02:59 happens twice.
        let start = Self.instant("2024-10-26 12:00", offset: 7200)
        #expect(
            try Self.fires("30 2 * * *", after: start, in: Self.berlin, count: 3) == [
                "2024-10-27 02:30+02", "2024-10-28 02:30+01", "2024-10-29 02:30+01",
            ])
        // With `*` hours it keeps its pace in real time through both passes (Vixie cron's rule).
        #expect(
            try Self.fires(
                "*/20 * * * *", after: Self.instant("2024-10-27 01:30", offset: 7200), in: Self.berlin, count: 8)
                == [
                    "2024-10-27 01:40+02", "2024-10-27 02:00+02", "2024-10-27 02:20+02", "2024-10-27 02:40+02",
                    "2024-10-27 02:00+01", "2024-10-27 02:20+01", "2024-10-27 02:40+01", "2024-10-27 03:00+01",
                ])
        // Starting inside the second pass of the repeated hour.
        #expect(
            try Self.fires(
                "*/20 * * * *", after: Self.instant("2024-10-27 02:10", offset: 3600), in: Self.berlin,
                count: 1) == ["2024-10-27 02:20+01"])
        // A named hour inside the repeated one fires in its first pass only.
        #expect(
            try Self.fires(
                "*/20 2 * * *", after: Self.instant("2024-10-27 01:30", offset: 7200), in: Self.berlin, count: 4)
                == ["2024-10-27 02:00+02", "2024-10-27 02:20+02", "2024-10-27 02:40+02", "2024-10-28 02:00+01"])
    }

    // MARK: Errors

    static let invalid: [(cron: String, field: String?, message: String)] = [
        ("0 25 * * *", "hour", "cron field 'hour' value '25' is out of range 0-23 in \"0 25 * * *\""),
        ("60 * * * *", "minute", "cron field 'minute' value '60' is out of range 0-59"),
        ("0 0 0 * *", "day-of-month", "value '0' is out of range 1-31"),
        ("0 0 * 13 *", "month", "value '13' is out of range 1-12"),
        ("0 0 * * 8", "day-of-week", "value '8' is out of range 0-7"),
        ("0 0 * FOO *", "month", "value 'FOO' is not a number from 1 to 12 or a name JAN-DEC"),
        ("0 0 * * MONDAY", "day-of-week", "value 'MONDAY' is not a number"),
        ("*/0 * * * *", "minute", "step '0' must be a whole number from 1 to 59"),
        ("1-2-3 * * * *", "minute", "range '1-2-3' has more than one '-'"),
        ("10-5 * * * *", "minute", "range '10-5' runs backwards"),
        ("1,,2 * * * *", "minute", "has an empty list element"),
        ("*/5/2 * * * *", "minute", "has more than one '/'"),
        ("-1 * * * *", "minute", "value '' is not a number"),
        ("0 99999999999999999999999 * * *", "hour", "value '99999999999999999999999' is out of range 0-23"),
        ("0 0 * * * *", nil, "has 6 fields; expected 5"),
        ("0 0 * *", nil, "has 4 fields; expected 5"),
        ("", nil, "cron expression is empty"),
        ("   ", nil, "cron expression is empty"),
        ("@often", nil, "cron macro \"@often\" is unknown"),
    ]

    @Test(arguments: invalid)
    func invalidExpressionsNameTheFieldAndThePart(cron: String, field: String?, message: String) {
        let error = #expect(throws: CronExpressionError.self) { try CronExpression(cron) }
        #expect(error?.field == field)
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "no error")")
    }

    @Test func hostileInputIsRejectedQuicklyWithAShortMessage() throws {
        let clock = ContinuousClock()
        let huge = String(repeating: "1", count: 100_000)
        let elapsed = clock.measure {
            for text in [String(repeating: "* ", count: 50_000), "0 \(huge) * * *", huge] {
                let error = #expect(throws: CronExpressionError.self) { try CronExpression(text) }
                #expect(error?.message.contains("too long") == true)
                #expect((error?.message.count ?? 0) < 300)
            }
            let longField = "0 " + Array(repeating: "1", count: 200).joined(separator: ",") + "x * * *"
            #expect(throws: CronExpressionError.self) { try CronExpression(longField) }
        }
        #expect(elapsed < .seconds(1))
    }

    // MARK: Reference table

    struct ReferenceTable: Decodable {
        struct Row: Decodable {
            let cron: String
            let zone: String
            let after: Int
            let next: [Int]
        }
        let rows: [Row]
    }

    /// Every row of the croniter table made by `scripts/cron-reference.py` (see that script for the DST filter).
    @Test func matchesTheCroniterReferenceTable() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Resources/cron-reference.json")
        let table = try JSONDecoder().decode(ReferenceTable.self, from: Data(contentsOf: url))
        #expect(table.rows.count > 1000)
        var zones: [String: TimeZone] = [:]
        var mismatches = 0
        for row in table.rows {
            let zone = try #require(zones[row.zone] ?? TimeZone(identifier: row.zone))
            zones[row.zone] = zone
            let expression = try CronExpression(row.cron)
            var date = Date(timeIntervalSince1970: TimeInterval(row.after))
            var got: [Int] = []
            for _ in row.next {
                guard let next = expression.next(after: date, in: zone) else { break }
                got.append(Int(next.timeIntervalSince1970))
                date = next
            }
            if got != row.next {
                mismatches += 1
                if mismatches <= 10 {
                    Issue.record("\"\(row.cron)\" in \(row.zone) after \(row.after): got \(got), croniter \(row.next)")
                }
            }
        }
        #expect(mismatches == 0)
    }
}
