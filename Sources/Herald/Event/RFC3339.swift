import Foundation

/// Parses and formats RFC 3339 timestamps, the CloudEvents `Timestamp` type.
///
/// Written by hand with integer calendar arithmetic rather than with `DateFormatter`, which is slow and
/// cannot be shared across tasks.
public enum RFC3339 {
    /// Parses a timestamp such as `2018-04-05T17:31:00Z` or `2018-04-05t19:31:00.123456789+02:00`.
    ///
    /// Accepts `T` or `t` between date and time, `Z`, `z` or a `±hh:mm` offset, and a fraction of any
    /// length; digits past nanoseconds are ignored, and `Date` itself keeps about a tenth of a microsecond
    /// for present-day times. A leap second (`:60`) is read as the first instant of the next minute, since
    /// `Date` cannot represent it. Returns `nil` for anything else, including out-of-range fields such as
    /// month 13 or February 30.
    public static func parse(_ text: some StringProtocol) -> Date? {
        var bytes = text.utf8.makeIterator()
        guard let year = readNumber(&bytes, digits: 4), bytes.next() == UInt8(ascii: "-"),
            let month = readNumber(&bytes, digits: 2), bytes.next() == UInt8(ascii: "-"),
            let day = readNumber(&bytes, digits: 2), bytes.next().map({ $0 | 0x20 }) == UInt8(ascii: "t"),
            let hour = readNumber(&bytes, digits: 2), bytes.next() == UInt8(ascii: ":"),
            let minute = readNumber(&bytes, digits: 2), bytes.next() == UInt8(ascii: ":"),
            let second = readNumber(&bytes, digits: 2)
        else { return nil }
        guard (1...12).contains(month), (1...daysInMonth(year: year, month: month)).contains(day),
            hour < 24, minute < 60, second <= 60
        else { return nil }

        var next = bytes.next()
        var nanoseconds = 0
        if next == UInt8(ascii: ".") {
            var digits = 0
            next = bytes.next()
            while let byte = next, let digit = digitValue(byte) {
                if digits < 9 { nanoseconds = nanoseconds * 10 + digit }
                digits += 1
                next = bytes.next()
            }
            guard digits > 0 else { return nil }
            for _ in min(digits, 9)..<9 { nanoseconds *= 10 }
        }

        var offsetSeconds = 0
        switch next {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            break
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard let offsetHours = readNumber(&bytes, digits: 2), bytes.next() == UInt8(ascii: ":"),
                let offsetMinutes = readNumber(&bytes, digits: 2), offsetHours < 24, offsetMinutes < 60
            else { return nil }
            offsetSeconds = (offsetHours * 60 + offsetMinutes) * 60
            if next == UInt8(ascii: "-") { offsetSeconds = -offsetSeconds }
        default:
            return nil
        }
        guard bytes.next() == nil else { return nil }

        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offsetSeconds
        // Adding the fraction to seconds since 2001 rather than 1970 keeps more of it in the Double.
        return Date(
            timeIntervalSinceReferenceDate: Double(seconds - referenceDateUnixSeconds) + Double(nanoseconds) / 1e9
        )
    }

    /// Formats `date` in UTC with a `Z`, for example `2018-04-05T17:31:00Z` or `2018-04-05T17:31:00.25Z`.
    ///
    /// Fractional seconds are rounded to microseconds (the precision PostgreSQL keeps) and written only
    /// when non-zero, with trailing zeros trimmed, so `parse(format(parse(text)))` equals `parse(text)`
    /// for any text with at most six fraction digits. Dates outside years 0000-9999, which RFC 3339
    /// cannot express, are clamped to that range.
    public static func format(_ date: Date) -> String {
        let lowest = daysFromCivil(year: 0, month: 1, day: 1) * 86_400 - referenceDateUnixSeconds
        let highest = daysFromCivil(year: 10_000, month: 1, day: 1) * 86_400 - referenceDateUnixSeconds
        let interval = date.timeIntervalSinceReferenceDate
        let clamped = interval.isNaN ? Double(lowest) : min(max(interval, Double(lowest)), Double(highest))
        let microseconds = min(Int64((clamped * 1e6).rounded()), Int64(highest) * 1_000_000 - 1)
        let (wholeSeconds, fraction) = floorDivision(microseconds, by: 1_000_000)
        let (days, secondOfDay) = floorDivision(wholeSeconds + Int64(referenceDateUnixSeconds), by: 86_400)
        let (year, month, day) = civilFromDays(Int(days))

        var text: [UInt8] = []
        text.reserveCapacity(27)
        append(year, digits: 4, to: &text)
        text.append(UInt8(ascii: "-"))
        append(month, digits: 2, to: &text)
        text.append(UInt8(ascii: "-"))
        append(day, digits: 2, to: &text)
        text.append(UInt8(ascii: "T"))
        append(Int(secondOfDay / 3_600), digits: 2, to: &text)
        text.append(UInt8(ascii: ":"))
        append(Int(secondOfDay / 60 % 60), digits: 2, to: &text)
        text.append(UInt8(ascii: ":"))
        append(Int(secondOfDay % 60), digits: 2, to: &text)
        if fraction != 0 {
            text.append(UInt8(ascii: "."))
            var digits = 6
            var trimmed = Int(fraction)
            while trimmed % 10 == 0 {
                trimmed /= 10
                digits -= 1
            }
            append(trimmed, digits: digits, to: &text)
        }
        text.append(UInt8(ascii: "Z"))
        return String(decoding: text, as: UTF8.self)
    }

    /// 2001-01-01T00:00:00Z, `Date`'s reference date, in seconds since 1970.
    private static let referenceDateUnixSeconds = 978_307_200

    private static func digitValue(_ byte: UInt8) -> Int? {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) ? Int(byte - UInt8(ascii: "0")) : nil
    }

    private static func readNumber(_ bytes: inout some IteratorProtocol<UInt8>, digits: Int) -> Int? {
        var value = 0
        for _ in 0..<digits {
            guard let byte = bytes.next(), let digit = digitValue(byte) else { return nil }
            value = value * 10 + digit
        }
        return value
    }

    private static func append(_ value: Int, digits: Int, to text: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<digits { divisor *= 10 }
        while divisor > 0 {
            text.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
            divisor /= 10
        }
    }

    private static func floorDivision(_ value: Int64, by divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let remainder = value % divisor
        return remainder < 0 ? (value / divisor - 1, remainder + divisor) : (value / divisor, remainder)
    }

    private static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's `days_from_civil`).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let year = month <= 2 ? year - 1 : year
        let era = (year >= 0 ? year : year - 399) / 400
        let yearOfEra = year - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The inverse of ``daysFromCivil(year:month:day:)`` (Howard Hinnant's `civil_from_days`).
    static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
