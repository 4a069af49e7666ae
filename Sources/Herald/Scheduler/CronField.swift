/// One parsed field of a cron expression: the set of values it allows.
///
/// Values are kept as a bit set (bit `n` set when value `n` matches); day-of-week stores Sunday as 0 whether it was
/// written `0`, `7` or `SUN`.
struct CronField: Sendable, Hashable {
    /// Which of the five fields this is, with its range and accepted names.
    enum Kind: Int, Sendable, Hashable, CaseIterable {
        case minute, hour, dayOfMonth, month, dayOfWeek

        /// The name used in error messages.
        var name: String {
            switch self {
            case .minute: "minute"
            case .hour: "hour"
            case .dayOfMonth: "day-of-month"
            case .month: "month"
            case .dayOfWeek: "day-of-week"
            }
        }

        /// The values that may be written (day-of-week accepts 7 as another Sunday).
        var bounds: ClosedRange<Int> {
            switch self {
            case .minute: 0...59
            case .hour: 0...23
            case .dayOfMonth: 1...31
            case .month: 1...12
            case .dayOfWeek: 0...7
            }
        }

        /// Three-letter names accepted (case-insensitively) in place of numbers, with the first name's value.
        var names: (list: [String], firstValue: Int)? {
            switch self {
            case .month: (["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1)
            case .dayOfWeek: (["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], 0)
            default: nil
            }
        }
    }

    /// Bit `n` is set when value `n` matches.
    let bits: UInt64
    /// True when the field was written as a bare `*` (this matters for the day-of-month / day-of-week rule).
    let isStar: Bool

    /// Whether `value` matches.
    func contains(_ value: Int) -> Bool {
        value >= 0 && value < 64 && bits & (1 << UInt64(value)) != 0
    }

    /// The smallest matching value that is at least `value`, or `nil` when none is.
    func next(atLeast value: Int) -> Int? {
        guard value < 64 else { return nil }
        let remaining = bits >> UInt64(max(value, 0))
        guard remaining != 0 else { return nil }
        return max(value, 0) + remaining.trailingZeroBitCount
    }

    /// Parses the text of one field.
    ///
    /// - Parameter expression: the whole expression, quoted in error messages.
    init(parsing text: Substring, kind: Kind, expression: String) throws(CronExpressionError) {
        func fail(_ problem: String) -> CronExpressionError {
            CronExpressionError(
                message: "cron field '\(kind.name)' \(problem) in \(CronExpression.quoted(expression))",
                field: kind.name
            )
        }
        let bounds = kind.bounds
        var bits: UInt64 = 0
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard !part.isEmpty else { throw fail("has an empty list element in '\(CronExpression.clip(text))'") }
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { throw fail("part '\(CronExpression.clip(part))' has more than one '/'") }
            var step = 1
            if pieces.count == 2 {
                let stepText = pieces[1]
                guard let parsed = Self.number(stepText), parsed >= 1, parsed <= bounds.upperBound else {
                    throw fail(
                        "step '\(CronExpression.clip(stepText))' must be a whole number from 1 to \(bounds.upperBound)"
                    )
                }
                step = parsed
            }
            let base = pieces[0]
            let low: Int
            var high: Int
            if base == "*" {
                low = bounds.lowerBound
                high = kind == .dayOfWeek ? 6 : bounds.upperBound
            } else {
                let ends = base.split(separator: "-", omittingEmptySubsequences: false)
                guard ends.count <= 2 else { throw fail("range '\(CronExpression.clip(base))' has more than one '-'") }
                low = try Self.value(ends[0], kind: kind, fail: fail)
                if ends.count == 2 {
                    high = try Self.value(ends[1], kind: kind, fail: fail)
                    guard low <= high else {
                        throw fail("range '\(CronExpression.clip(base))' runs backwards; write the smaller value first")
                    }
                } else {
                    // `5/15` means "from 5 to the end, every 15"; a bare `5` is just 5.
                    high = pieces.count == 2 ? bounds.upperBound : low
                }
            }
            if kind == .dayOfWeek && pieces.count == 2 && base != "*" && !base.contains("-") { high = 6 }
            var value = low
            while value <= high {
                bits |= 1 << UInt64(kind == .dayOfWeek && value == 7 ? 0 : value)
                value += step
            }
        }
        self.bits = bits
        self.isStar = text == "*"
    }

    /// Parses a plain decimal number of at most three digits (longer input is rejected without converting it).
    private static func number(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.utf8.count <= 3, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return nil
        }
        return Int(text)
    }

    /// Parses one value: a number within the field's range, or a name where the field has names.
    private static func value(
        _ text: Substring,
        kind: Kind,
        fail: (String) -> CronExpressionError
    ) throws(CronExpressionError) -> Int {
        let bounds = kind.bounds
        if let names = kind.names, let index = names.list.firstIndex(of: text.uppercased()) {
            return names.firstValue + index
        }
        let isDigits = !text.isEmpty && text.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
        guard isDigits else {
            let namesHint = kind.names.map { " or a name \($0.list.first!)-\($0.list.last!)" } ?? ""
            throw fail(
                "value '\(CronExpression.clip(text))' is not a number from \(bounds.lowerBound) to "
                    + "\(bounds.upperBound)\(namesHint)"
            )
        }
        guard let number = number(text), bounds.contains(number) else {
            throw fail(
                "value '\(CronExpression.clip(text))' is out of range \(bounds.lowerBound)-\(bounds.upperBound)"
            )
        }
        return number
    }
}
