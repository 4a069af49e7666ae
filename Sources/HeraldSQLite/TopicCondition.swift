import Herald
import SQLiteNIO
import Synchronization

/// Topic patterns in SQL: an index range for the pattern's literal prefix, and, when the pattern has a `*`
/// or starts with a wildcard, the exact match by ``TopicPattern/matches(_:)`` through the SQL function
/// `herald_topic_matches(pattern, type)`, which every connection of the store installs.
struct TopicCondition {
    /// An SQL condition on the column `type`, to join with `AND`.
    var sql: String
    /// Its bound values, in order.
    var bindings: [SQLiteData]

    static let functionName = "herald_topic_matches"

    /// The condition for events whose type matches `pattern`, or `nil` when every type does.
    init?(_ pattern: TopicPattern, column: String = "type") {
        let tokens = pattern.text.split(separator: ".", omittingEmptySubsequences: false)
        let literals = tokens.prefix { $0 != "*" && $0 != ">" }
        if literals.count == tokens.count {
            sql = "\(column) = ?"
            bindings = [.text(pattern.text)]
            return
        }
        guard !literals.isEmpty else {
            if pattern.text == ">" { return nil }
            sql = "\(Self.functionName)(?, \(column))"
            bindings = [.text(pattern.text)]
            return
        }
        // Types starting with "a.b." sort between "a.b." and "a.b/", since '/' follows '.' in UTF-8. For
        // "a.b.>" that range is the whole answer ('>' takes whatever follows the dot), so no row calls the function.
        let prefix = literals.joined(separator: ".")
        let range = "\(column) >= ? AND \(column) < ?"
        let bounds: [SQLiteData] = [.text(prefix + "."), .text(prefix + "/")]
        if tokens.count == literals.count + 1, tokens.last == ">" {
            sql = range
            bindings = bounds
        } else {
            sql = range + " AND \(Self.functionName)(?, \(column))"
            bindings = bounds + [.text(pattern.text)]
        }
    }

    /// The SQL function, to install on a connection.
    static func function() -> SQLiteCustomFunction {
        SQLiteCustomFunction(functionName, argumentCount: 2, pure: true) { arguments in
            guard case .text(let pattern) = arguments[0], case .text(let type) = arguments[1] else { return false }
            return patterns.parsed(pattern)?.matches(type) ?? false
        }
    }

    private static let patterns = PatternCache()

    /// Parsed patterns by text, so that a scan does not parse its pattern once per row.
    private final class PatternCache: Sendable {
        private let entries = Mutex<[String: TopicPattern]>([:])

        func parsed(_ text: String) -> TopicPattern? {
            if let pattern = entries.withLock({ $0[text] }) { return pattern }
            guard let pattern = try? TopicPattern(text) else { return nil }
            entries.withLock { entries in
                if entries.count >= 256 { entries.removeAll() }
                entries[text] = pattern
            }
            return pattern
        }
    }
}
