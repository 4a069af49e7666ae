/// A local wall-clock minute (proleptic Gregorian calendar), with the calendar arithmetic the cron search needs.
///
/// Kept as plain integers so the search can skip whole months, days and hours without asking Foundation about
/// every candidate; converting to an instant is done separately, against the time zone.
struct CronWallClock: Sendable, Hashable, Comparable {
    var year: Int
    var month: Int
    var day: Int
    var hour: Int
    var minute: Int

    static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.year, lhs.month, lhs.day, lhs.hour, lhs.minute) < (rhs.year, rhs.month, rhs.day, rhs.hour, rhs.minute)
    }

    /// Whether `year` has a February 29.
    static func isLeap(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    /// The number of days in a month of a year.
    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a civil date (any year, including before 1970); the RFC 3339 codec's arithmetic.
    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        RFC3339.daysFromCivil(year: year, month: month, day: day)
    }

    /// The civil date of a day count since 1970-01-01.
    static func civil(daysSinceEpoch days: Int) -> (year: Int, month: Int, day: Int) {
        RFC3339.civilFromDays(days)
    }

    /// The wall-clock minute containing a count of local seconds since 1970-01-01T00:00 (local).
    init(localSeconds: Int) {
        let days = localSeconds >= 0 ? localSeconds / 86_400 : (localSeconds - 86_399) / 86_400
        let secondOfDay = localSeconds - days * 86_400
        let date = Self.civil(daysSinceEpoch: days)
        self.init(
            year: date.year,
            month: date.month,
            day: date.day,
            hour: secondOfDay / 3600,
            minute: secondOfDay % 3600 / 60
        )
    }

    init(year: Int, month: Int, day: Int, hour: Int, minute: Int) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
    }

    /// Local seconds since 1970-01-01T00:00 (local) of this wall-clock minute.
    var localSeconds: Int {
        Self.daysSinceEpoch(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60
    }

    /// The weekday, 0 = Sunday ... 6 = Saturday.
    var weekday: Int {
        let days = Self.daysSinceEpoch(year: year, month: month, day: day)
        return ((days % 7) + 7 + 4) % 7  // 1970-01-01 was a Thursday.
    }

    /// The next minute on the wall clock (ignoring time zones).
    func addingMinute() -> Self {
        Self(localSeconds: localSeconds + 60)
    }
}
