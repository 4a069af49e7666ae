import Herald
import PostgresNIO

/// Topic patterns in SQL: an index range for the pattern's literal prefix (the `type` column sorts bytewise,
/// `COLLATE "C"`), and, when the pattern has a `*` or starts with a wildcard, an anchored regular expression
/// for the exact match of ``TopicPattern/matches(_:)``.
enum PostgresTopicCondition {
    /// A condition on `column` for the events whose type matches `pattern`, to join with `AND`; `nil` when
    /// every type matches.
    static func sql(_ pattern: TopicPattern, column: String, bindings: inout PostgresBindings) -> String? {
        let tokens = pattern.text.split(separator: ".", omittingEmptySubsequences: false)
        let literals = tokens.prefix { $0 != "*" && $0 != ">" }
        if literals.count == tokens.count {
            bindings.append(pattern.text)
            return "\(column) = $\(bindings.count)"
        }
        if pattern.text == ">" { return nil }
        var conditions: [String] = []
        if !literals.isEmpty {
            // Types starting with "a.b." sort between "a.b." and "a.b/", since '/' follows '.' in UTF-8.
            let prefix = literals.joined(separator: ".")
            bindings.append(prefix + ".")
            conditions.append("\(column) >= $\(bindings.count)")
            bindings.append(prefix + "/")
            conditions.append("\(column) < $\(bindings.count)")
            // For "a.b.>" the range is the whole answer: '>' takes whatever follows the dot.
            if tokens.count == literals.count + 1, tokens.last == ">" { return conditions.joined(separator: " AND ") }
        }
        bindings.append(regularExpression(tokens))
        conditions.append("\(column) ~ $\(bindings.count)")
        return conditions.joined(separator: " AND ")
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
