import Testing

@testable import Herald

@Suite struct TopicPatternCoveringTests {
    static let cases: [(pattern: String, other: String, covers: Bool)] = [
        // Literals cover exactly themselves.
        ("orders.placed", "orders.placed", true),
        ("orders.placed", "orders.cancelled", false),
        ("orders.placed", "orders", false),
        ("orders", "orders.placed", false),
        ("orders.placed", "orders.*", false),
        ("orders.placed", "orders.>", false),
        ("orders.placed", ">", false),
        ("Orders.placed", "orders.placed", false),
        // `*` covers one token: a literal or another `*`, never `>`.
        ("orders.*", "orders.placed", true),
        ("orders.*", "orders.*", true),
        ("orders.*", "orders.>", false),
        ("orders.*", "orders", false),
        ("orders.*", "orders.eu.placed", false),
        ("orders.*", "payments.placed", false),
        ("*", "orders", true),
        ("*", "*", true),
        ("*", ">", false),
        ("*", "orders.placed", false),
        ("*.placed", "orders.placed", true),
        ("*.placed", "*.placed", true),
        ("*.placed", "orders.cancelled", false),
        ("*.placed", "*.*", false),
        ("orders.*.placed", "orders.eu.placed", true),
        ("orders.*.placed", "orders.*.placed", true),
        ("orders.*.placed", "orders.>", false),
        ("*.*", "orders.*", true),
        ("*.*", "*.>", false),
        // `>` covers one or more trailing tokens, whatever they are.
        ("orders.>", "orders.placed", true),
        ("orders.>", "orders.eu.placed", true),
        ("orders.>", "orders.*", true),
        ("orders.>", "orders.*.placed", true),
        ("orders.>", "orders.>", true),
        ("orders.>", "orders.eu.>", true),
        ("orders.>", "orders", false),
        ("orders.>", "*", false),
        ("orders.>", "*.placed", false),
        ("orders.>", ">", false),
        ("orders.>", "payments.>", false),
        (">", "orders", true),
        (">", "*", true),
        (">", ">", true),
        (">", "orders.>", true),
        (">", "*.*.placed", true),
        ("*.>", "orders.placed", true),
        ("*.>", "*.>", true),
        ("*.>", "orders.>", true),
        ("*.>", ">", false),
        ("*.>", "orders", false),
        ("*.>", "*", false),
        ("orders.*.>", "orders.eu.placed", true),
        ("orders.*.>", "orders.>", false),
        ("orders.*.>", "orders.*", false),
        ("orders.eu.>", "orders.>", false),
        ("orders.eu.>", "orders.*.placed", false),
    ]

    @Test(arguments: cases)
    func coversExactlyWhenEveryTopicOfTheOtherMatches(pattern: String, other: String, covers: Bool) throws {
        let pattern = try TopicPattern(pattern)
        let other = try TopicPattern(other)
        #expect(pattern.covers(other) == covers)
    }

    /// Tries every pattern over a small alphabet against every other, and every topic over the same alphabet:
    /// whenever `covers` says yes, each topic the other matches must match too, and whenever it says no, some
    /// topic must tell them apart.
    @Test func agreesWithMatchingOnEverySmallPattern() throws {
        let tokens = ["a", "b", "*", ">"]
        var patterns: [TopicPattern] = []
        for length in 1...3 {
            for combination in Self.sequences(of: tokens, length: length) {
                if let pattern = try? TopicPattern(combination.joined(separator: ".")) { patterns.append(pattern) }
            }
        }
        // Topics up to one token longer than any pattern, with a token no pattern names.
        let topics = (1...4).flatMap { Self.sequences(of: ["a", "b", "c"], length: $0) }.map {
            $0.joined(separator: ".")
        }
        var checked = 0
        for pattern in patterns {
            for other in patterns {
                let implied = topics.allSatisfy { !other.matches($0) || pattern.matches($0) }
                #expect(pattern.covers(other) == implied, "\(pattern) covers \(other)")
                checked += 1
            }
        }
        #expect(checked == patterns.count * patterns.count && patterns.count > 40)
    }

    private static func sequences(of tokens: [String], length: Int) -> [[String]] {
        guard length > 0 else { return [[]] }
        return sequences(of: tokens, length: length - 1).flatMap { prefix in tokens.map { prefix + [$0] } }
    }
}
