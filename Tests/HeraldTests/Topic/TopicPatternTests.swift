import Testing

@testable import Herald

@Suite struct TopicPatternTests {
    static let matchingCases: [(pattern: String, topic: String, matches: Bool)] = [
        // Literals
        ("orders.placed", "orders.placed", true),
        ("orders.placed", "orders.cancelled", false),
        ("orders.placed", "orders", false),
        ("orders", "orders.placed", false),
        ("orders.placed", "orders.placed.eu", false),
        ("orders-v2.placed_now:1", "orders-v2.placed_now:1", true),
        // `*` in each position, exactly one token
        ("*.placed", "orders.placed", true),
        ("*.placed", "placed", false),
        ("orders.*.placed", "orders.eu.placed", true),
        ("orders.*.placed", "orders.placed", false),
        ("orders.*.placed", "orders.eu.de.placed", false),
        ("orders.*", "orders.eu", true),
        ("orders.*", "orders", false),
        ("orders.*", "orders.eu.placed", false),
        ("*", "orders", true),
        ("*", "orders.placed", false),
        ("*.*", "orders.placed", true),
        ("*.*", "orders", false),
        // `>`: one or more trailing tokens
        ("orders.>", "orders.placed", true),
        ("orders.>", "orders.eu.placed", true),
        ("orders.>", "orders", false),
        ("orders.>", "payments.placed", false),
        (">", "orders", true),
        (">", "orders.eu.placed", true),
        ("*.>", "orders", false),
        ("*.>", "orders.placed", true),
        ("orders.*.>", "orders.eu", false),
        ("orders.*.>", "orders.eu.placed.now", true),
        // Case and bytes
        ("Orders.placed", "orders.placed", false),
        ("orders.placed", "ORDERS.PLACED", false),
        ("café.*", "cafe\u{301}.x", false),
        // Unicode tokens
        ("bestellungen.größe", "bestellungen.größe", true),
        ("注文.*", "注文.確定", true),
        ("🚀.*.launched", "🚀.mars.launched", true),
        ("🚀.*.launched", "🚀.launched", false),
        // A dot followed by a combining mark still separates tokens.
        ("a.*", "a.\u{301}b", true),
        // Empty topic tokens are tokens.
        ("a.*.b", "a..b", true),
        ("a.b", "a..b", false),
        ("a.>", "a.", true),
        ("a.*.c", "a.b.c.", false),
        ("*.*.*", "..", true),
        ("*", "", true),
        (">", "", true),
        ("a", "", false),
    ]

    @Test(arguments: matchingCases)
    func matchesTokenByToken(pattern: String, topic: String, matches: Bool) throws {
        #expect(try TopicPattern(pattern).matches(topic) == matches)
    }

    static let invalidCases: [(pattern: String, reason: TopicPatternError.Reason, detail: String)] = [
        ("", .empty, "the pattern is empty; use \">\" to match every topic"),
        ("orders..x", .emptyToken, "empty token at position 2; tokens are separated by single dots"),
        (".orders", .emptyToken, "empty token at position 1"),
        ("orders.", .emptyToken, "empty token at position 2"),
        (".", .emptyToken, "empty token at position 1"),
        ("a.>.b", .restNotLast, "\">\" at position 2 is not the last token"),
        (">.a", .restNotLast, "\">\" at position 1 is not the last token"),
        ("a.>.", .restNotLast, "\">\" at position 2 is not the last token"),
        ("ord*", .wildcardInsideToken, "token \"ord*\" at position 1 mixes a wildcard with other characters"),
        ("a>", .wildcardInsideToken, "token \"a>\" at position 1 mixes a wildcard"),
        ("orders.**", .wildcardInsideToken, "token \"**\" at position 2"),
        ("orders.>>", .wildcardInsideToken, "token \">>\" at position 2"),
        ("orders.*x.placed", .wildcardInsideToken, "\"*\" and \">\" are wildcards only as whole tokens"),
        ("orders placed", .whitespace, "token \"orders placed\" at position 1 contains whitespace"),
        ("orders.\tplaced", .whitespace, "at position 2 contains whitespace"),
        ("orders.placed\n", .whitespace, "at position 2 contains whitespace"),
        ("orders.no\u{A0}break", .whitespace, "at position 2 contains whitespace"),
        (" ", .whitespace, "token \" \" at position 1"),
        (String(repeating: "a", count: 1025), .tooLong, "1025 UTF-8 bytes, over the limit of 1024 bytes"),
        (String(repeating: "é", count: 513), .tooLong, "1026 UTF-8 bytes, over the limit of 1024 bytes"),
        (
            Array(repeating: "a", count: 65).joined(separator: "."), .tooManyTokens,
            "more than 64 tokens, over the limit of 64"
        ),
    ]

    @Test(arguments: invalidCases)
    func rejectsInvalidPattern(pattern: String, reason: TopicPatternError.Reason, detail: String) {
        #expect {
            try TopicPattern(pattern)
        } throws: { error in
            guard let error = error as? TopicPatternError else { return false }
            return error.reason == reason && error.pattern == pattern && error.detail.contains(detail)
                && error.description.hasPrefix("invalid topic pattern \"")
        }
    }

    @Test func errorNamesPatternPositionAndToken() {
        #expect {
            try TopicPattern("orders.ord*.placed")
        } throws: { error in
            guard let error = error as? TopicPatternError else { return false }
            return error.position == 2 && error.token == "ord*"
        }
        #expect {
            try TopicPattern("orders..x")
        } throws: { error in
            (error as? TopicPatternError)?.description
                == "invalid topic pattern \"orders..x\": empty token at position 2; "
                + "tokens are separated by single dots, with no dot at either end"
        }
    }

    @Test func errorDescriptionShortensHostilePattern() {
        let hostile = "x" + String(repeating: "\u{301}", count: 1_000_000)
        #expect {
            try TopicPattern(hostile)
        } throws: { error in
            guard let error = error as? TopicPatternError else { return false }
            return error.reason == .tooLong && error.description.utf8.count < 300
                && error.pattern.utf8.count == hostile.utf8.count
        }
    }

    @Test func acceptsPatternsAtTheLimits() throws {
        let longest = String(repeating: "a", count: TopicPattern.maximumLength)
        #expect(try TopicPattern(longest).text == longest)
        let longestMultibyte = String(repeating: "é", count: TopicPattern.maximumLength / 2)
        #expect(try TopicPattern(longestMultibyte).matches(longestMultibyte))
        let mostTokens = Array(repeating: "*", count: TopicPattern.maximumTokenCount).joined(separator: ".")
        #expect(try TopicPattern(mostTokens).tokens.count == TopicPattern.maximumTokenCount)
    }

    @Test func parsesTokens() throws {
        #expect(try TopicPattern("orders.*.>").tokens == [.literal(TopicTokenKey("orders")), .any, .rest])
        #expect(
            try TopicPattern("a.\u{301}b").tokens == [
                .literal(TopicTokenKey("a")), .literal(TopicTokenKey("\u{301}b")),
            ])
    }

    @Test func allMatchesEveryTopicAndEqualsParsedRest() throws {
        #expect(TopicPattern.all == (try TopicPattern(">")))
        #expect(TopicPattern.all.text == ">")
        #expect(TopicPattern.all.description == ">")
        for topic in ["orders", "orders.eu.placed", "", ".", "a..b"] {
            #expect(TopicPattern.all.matches(topic))
        }
    }

    @Test func equalityComparesBytes() throws {
        let precomposed = try TopicPattern("café")
        let decomposed = try TopicPattern("cafe\u{301}")
        #expect(precomposed != decomposed)
        #expect(Set([precomposed, decomposed, try TopicPattern("café")]).count == 2)
        #expect(try TopicPattern("orders.*").description == "orders.*")
    }
}
