import Foundation

/// A five-field cron expression (`minute hour day-of-month month day-of-week`) and the instants it selects.
///
/// Each field accepts `*`, a number, a list (`1,15,30`), a range (`9-17`) and steps (`*/5`, `1-10/2`, `5/15`, which
/// means "from 5 to the end of the range, every 15"). Months may be written `JAN`-`DEC` and weekdays `SUN`-`SAT`, in
/// any case; day-of-week is 0-7, where both 0 and 7 are Sunday. The macros `@hourly`, `@daily` (= `@midnight`),
/// `@weekly` (Sunday 00:00), `@monthly` and `@yearly` (= `@annually`) stand for their usual five fields.
///
/// The classic day rule applies: when both day-of-month and day-of-week are restricted (neither is written as a bare
/// `*`), a day matches if *either* matches, so `0 0 13 * FRI` fires on every 13th and on every Friday.
/// Otherwise both must match.
///
/// Expressions select local wall-clock times in a time zone; see ``next(after:in:)`` for daylight-saving changes.
/// Two values are equal when their parsed fields and their source text are equal.
public struct CronExpression: Sendable, Hashable, CustomStringConvertible {
    /// The longest expression accepted, in UTF-8 bytes; longer input is rejected before it is parsed.
    public static let maximumLength = 512
    /// How many years ahead ``next(after:in:)`` searches before deciding the expression never matches.
    public static let searchYears = 8

    /// The text the expression was parsed from, as given.
    public let source: String
    let minute: CronField
    let hour: CronField
    let dayOfMonth: CronField
    let month: CronField
    let dayOfWeek: CronField

    private static let macros: [String: String] = [
        "@yearly": "0 0 1 1 *",
        "@annually": "0 0 1 1 *",
        "@monthly": "0 0 1 * *",
        "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *",
        "@midnight": "0 0 * * *",
        "@hourly": "0 * * * *",
    ]

    /// Parses a cron expression.
    ///
    /// Leading and trailing white space is ignored and fields are separated by spaces or tabs.
    /// - Throws: ``CronExpressionError`` naming the field and the part at fault, or saying why the expression as a
    ///   whole is wrong (empty, longer than ``maximumLength``, not five fields, unknown macro).
    public init(_ text: String) throws(CronExpressionError) {
        guard text.utf8.count <= Self.maximumLength else {
            throw CronExpressionError(
                message: "cron expression is too long (\(text.utf8.count) bytes, at most \(Self.maximumLength)): "
                    + Self.quoted(text)
            )
        }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else {
            throw CronExpressionError(
                message: "cron expression is empty; write five fields (minute hour day-of-month month day-of-week) "
                    + "such as \"*/5 * * * *\", or a macro such as @daily"
            )
        }
        var fieldsText = trimmed
        if trimmed.hasPrefix("@") {
            guard let expansion = Self.macros[trimmed.lowercased()] else {
                throw CronExpressionError(
                    message: "cron macro \(Self.quoted(trimmed)) is unknown; use one of "
                        + "@hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually"
                )
            }
            fieldsText = expansion
        }
        let parts = fieldsText.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard parts.count == 5 else {
            throw CronExpressionError(
                message: "cron expression \(Self.quoted(text)) has \(parts.count) field\(parts.count == 1 ? "" : "s"); "
                    + "expected 5 (minute hour day-of-month month day-of-week) or a macro such as @daily"
            )
        }
        source = text
        minute = try CronField(parsing: parts[0], kind: .minute, expression: text)
        hour = try CronField(parsing: parts[1], kind: .hour, expression: text)
        dayOfMonth = try CronField(parsing: parts[2], kind: .dayOfMonth, expression: text)
        month = try CronField(parsing: parts[3], kind: .month, expression: text)
        dayOfWeek = try CronField(parsing: parts[4], kind: .dayOfWeek, expression: text)
    }

    /// The source text.
    public var description: String { source }

    /// The first instant strictly after `date` at which the expression fires in `timeZone`, or `nil` when it does
    /// not fire within ``searchYears`` years (for example `0 0 30 2 *`, which asks for February 30).
    ///
    /// The expression selects local wall-clock minutes (proleptic Gregorian calendar) in `timeZone`. Across
    /// daylight-saving changes:
    /// - a wall time that does not exist (skipped by a spring-forward change) does not fire that day; it is *not*
    ///   moved to a later time. `30 2 * * *` in Europe/Berlin does not fire on the last Sunday of March.
    /// - a wall time that occurs twice (repeated by a fall-back change) fires once, at its first occurrence, when the
    ///   hour field names hours (`30 2 * * *` fires once that night); when the hour field is `*` it fires at both, so
    ///   that `*/15 * * * *` keeps firing every 15 minutes of real time through the repeated hour (the rule of Vixie
    ///   cron).
    ///
    /// Fire instants are whole minutes; seconds of `date` are ignored except that the result is always later.
    public func next(after date: Date, in timeZone: TimeZone) -> Date? {
        let time = date.timeIntervalSince1970
        // Beyond about ±300,000 years the integer arithmetic below would not be meaningful.
        guard time.isFinite, abs(time) < 1e13 else { return nil }
        let seconds = Int(time.rounded(.down))
        // The wall clock reads differently under the offsets in force around `date`: in the first pass through a
        // repeated hour, the second pass's wall times are still to come. Search from each reading.
        var offsets: [Int] = []
        for probe in [seconds, seconds - 7_200, seconds + 7_200] {
            let offset = timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(probe)))
            if !offsets.contains(offset) { offsets.append(offset) }
        }
        return offsets.compactMap { offset in
            next(afterLocal: CronWallClock(localSeconds: seconds + offset), time: time, in: timeZone)
        }.min()
    }

    /// The first instant after `time` found by searching wall-clock minutes from the one after `wall`.
    private func next(afterLocal wall: CronWallClock, time: TimeInterval, in timeZone: TimeZone) -> Date? {
        var candidate = wall.addingMinute()
        let lastYear = candidate.year + Self.searchYears
        while let match = nextMatch(atOrAfter: candidate, lastYear: lastYear) {
            let instants = Self.instants(of: match, in: timeZone)
            let firing = hour.isStar ? instants : Array(instants.prefix(1))
            if let instant = firing.first(where: { TimeInterval($0) > time }) {
                return Date(timeIntervalSince1970: TimeInterval(instant))
            }
            candidate = match.addingMinute()
        }
        return nil
    }

    /// Whether the expression selects this wall-clock minute (its day rule included).
    func matches(_ wall: CronWallClock) -> Bool {
        minute.contains(wall.minute) && hour.contains(wall.hour) && month.contains(wall.month) && dayMatches(wall)
    }

    private func dayMatches(_ wall: CronWallClock) -> Bool {
        let dayOfMonthMatches = dayOfMonth.contains(wall.day)
        let dayOfWeekMatches = dayOfWeek.contains(wall.weekday)
        if dayOfMonth.isStar || dayOfWeek.isStar { return dayOfMonthMatches && dayOfWeekMatches }
        return dayOfMonthMatches || dayOfWeekMatches
    }

    /// The first wall-clock minute at or after `start` that the expression selects, skipping months, days and hours
    /// that cannot match; `nil` once past the end of `lastYear`.
    private func nextMatch(atOrAfter start: CronWallClock, lastYear: Int) -> CronWallClock? {
        var wall = start
        while wall.year <= lastYear {
            guard let month = month.next(atLeast: wall.month) else {
                wall = CronWallClock(year: wall.year + 1, month: 1, day: 1, hour: 0, minute: 0)
                continue
            }
            if month != wall.month {
                wall = CronWallClock(year: wall.year, month: month, day: 1, hour: 0, minute: 0)
            }
            guard wall.day <= CronWallClock.daysIn(month: wall.month, year: wall.year) else {
                wall = Self.startOfNextMonth(after: wall)
                continue
            }
            guard dayMatches(wall) else {
                wall.day += 1
                wall.hour = 0
                wall.minute = 0
                continue
            }
            guard let hour = hour.next(atLeast: wall.hour) else {
                wall.day += 1
                wall.hour = 0
                wall.minute = 0
                continue
            }
            if hour != wall.hour {
                wall.hour = hour
                wall.minute = 0
            }
            guard let minute = minute.next(atLeast: wall.minute) else {
                wall.hour += 1
                wall.minute = 0
                if wall.hour == 24 {
                    wall.day += 1
                    wall.hour = 0
                }
                continue
            }
            wall.minute = minute
            return wall
        }
        return nil
    }

    private static func startOfNextMonth(after wall: CronWallClock) -> CronWallClock {
        wall.month == 12
            ? CronWallClock(year: wall.year + 1, month: 1, day: 1, hour: 0, minute: 0)
            : CronWallClock(year: wall.year, month: wall.month + 1, day: 1, hour: 0, minute: 0)
    }

    /// The instants (seconds since 1970), earliest first, whose local time in `timeZone` is `wall`: none when that
    /// wall time does not exist there (a spring-forward gap), two when it occurs twice (a fall-back change).
    static func instants(of wall: CronWallClock, in timeZone: TimeZone) -> [Int] {
        let local = wall.localSeconds
        // The offsets in force a day either side cover any single transition near this wall time.
        var offsets: [Int] = []
        for probe in [local - 86_400, local, local + 86_400] {
            let offset = timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(probe)))
            if !offsets.contains(offset) { offsets.append(offset) }
        }
        var instants: [Int] = []
        for offset in offsets {
            let instant = local - offset
            guard timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant))) == offset,
                !instants.contains(instant)
            else { continue }
            instants.append(instant)
        }
        return instants.sorted()
    }

    /// `text` in double quotes, shortened when long, for error messages.
    static func quoted(_ text: String) -> String {
        "\"\(clip(text[...], limit: 100))\""
    }

    /// `text` shortened to `limit` characters with an ellipsis, so hostile input cannot flood an error message.
    static func clip(_ text: Substring, limit: Int = 32) -> String {
        text.count <= limit ? String(text) : String(text.prefix(limit)) + "…"
    }
}
