import Herald
import PostgresNIO

/// Topic patterns in SQL: an index range for the pattern's literal prefix (the `type` column sorts bytewise,
/// `COLLATE "C"`), and, when the pattern has a `*` or starts with a wildcard, an anchored regular expression
/// for the exact match of ``TopicPattern/matches(_:)``.
enum PostgresTopicCondition {
    /// A condition on `column` for the events whose type matches `pattern`, to join with `AND`; `nil` when
    /// every type matches.
    static func sql(_ pattern: TopicPattern, column: String, bindings: inout PostgresBindings) -> String? {
        let parts = parameters(pattern)
        var conditions: [String] = []
        for (value, comparison) in [
            (parts.exact, "="), (parts.from, ">="), (parts.below, "<"), (parts.expression, "~"),
        ] {
            guard let value else { continue }
            bindings.append(value)
            conditions.append("\(column) \(comparison) $\(bindings.count)")
        }
        return conditions.isEmpty ? nil : conditions.joined(separator: " AND ")
    }

    /// The same condition with its four values as parameters `$first` to `$first + 3`, bound to
    /// ``parameters(_:)`` in order (a `NULL` drops its part), so that one statement text serves every pattern.
    static func parameterizedSQL(column: String, first: Int) -> String {
        let p = (first..<first + 4).map { "$\($0)::text" }
        return """
            (\(p[0]) IS NULL OR \(column) = \(p[0])) AND (\(p[1]) IS NULL OR \(column) >= \(p[1])) \
            AND (\(p[2]) IS NULL OR \(column) < \(p[2])) AND (\(p[3]) IS NULL OR \(column) ~ \(p[3]))
            """
    }

    /// The parts of the condition for `pattern`: the exact type when it has no wildcard; otherwise the range
    /// of its literal prefix, as bounds, and an anchored regular expression unless the range is the whole
    /// answer. All are `nil` for `>`, which every type matches.
    static func parameters(_ pattern: TopicPattern) -> (
        exact: String?, from: String?, below: String?, expression: String?
    ) {
        let tokens = pattern.text.split(separator: ".", omittingEmptySubsequences: false)
        let literals = tokens.prefix { $0 != "*" && $0 != ">" }
        if literals.count == tokens.count { return (pattern.text, nil, nil, nil) }
        if pattern.text == ">" { return (nil, nil, nil, nil) }
        var (from, below): (String?, String?) = (nil, nil)
        if !literals.isEmpty {
            // Types starting with "a.b." sort between "a.b." and "a.b/", since '/' follows '.' in UTF-8.
            let prefix = literals.joined(separator: ".")
            (from, below) = (prefix + ".", prefix + "/")
            // For "a.b.>" the range is the whole answer: '>' takes whatever follows the dot.
            if tokens.count == literals.count + 1, tokens.last == ">" { return (nil, from, below, nil) }
        }
        return (nil, from, below, regularExpression(tokens))
    }

    /// `*` is one token, possibly empty; `>` the rest, one token or more; literals match themselves.
    private static func regularExpression(_ tokens: [Substring]) -> String {
        let parts = tokens.map { token -> String in
            switch token {
            case "*": return "[^.]*"
            case ">": return ".*"
            default:
                return token.unicodeScalars.map { scalar in
                    let isPlain =
                        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
                        || scalar.value > 127
                    return isPlain ? String(scalar) : "\\" + String(scalar)
                }.joined()
            }
        }
        return "^" + parts.joined(separator: "\\.") + "$"
    }
}
