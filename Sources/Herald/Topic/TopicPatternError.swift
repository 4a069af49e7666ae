/// Why a string is not a valid ``TopicPattern``: the offending pattern, where it goes wrong, and a hint.
///
/// `description` reads like `invalid topic pattern "orders..x": empty token at position 2; tokens are
/// separated by single dots, with no dot at either end`. The description shows at most the first 64
/// Unicode scalars of the pattern, so a hostile pattern cannot flood a log; ``pattern`` keeps the whole text.
public struct TopicPatternError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong with a pattern. An open set: compare with the static members.
    public struct Reason: Sendable, Hashable, CustomStringConvertible {
        private let code: String
        private init(_ code: String) { self.code = code }

        /// The pattern is the empty string.
        public static let empty = Reason("empty")
        /// The pattern is longer than ``TopicPattern/maximumLength`` UTF-8 bytes.
        public static let tooLong = Reason("tooLong")
        /// The pattern has more than ``TopicPattern/maximumTokenCount`` tokens.
        public static let tooManyTokens = Reason("tooManyTokens")
        /// A token is empty: two dots in a row, or a leading or trailing dot.
        public static let emptyToken = Reason("emptyToken")
        /// A token contains whitespace.
        public static let whitespace = Reason("whitespace")
        /// A token mixes `*` or `>` with other characters, such as `ord*` or `a>`.
        public static let wildcardInsideToken = Reason("wildcardInsideToken")
        /// `>` appears before the last token.
        public static let restNotLast = Reason("restNotLast")

        /// The reason's name, such as `emptyToken`.
        public var description: String { code }
    }

    /// The pattern as given.
    public let pattern: String
    /// What is wrong with it.
    public let reason: Reason
    /// The 1-based position of the offending token, or `nil` when the whole pattern is at fault.
    public let position: Int?
    /// The offending token (empty for an empty token), or `nil` when the whole pattern is at fault.
    public let token: String?

    /// What is wrong and how to fix it, without the pattern; ``description`` adds the pattern.
    public let detail: String

    private init(_ pattern: String, _ reason: Reason, position: Int? = nil, token: String? = nil, _ detail: String) {
        self.pattern = pattern
        self.reason = reason
        self.position = position
        self.token = token
        self.detail = detail
    }

    /// A sentence naming the pattern, the problem and how to fix it.
    public var description: String {
        // Unicode scalars rather than characters: one character can hold any number of combining marks.
        let shown = pattern.unicodeScalars.prefix(64)
        let ellipsis = shown.endIndex == pattern.endIndex ? "" : "…"
        return "invalid topic pattern \"\(String(shown))\(ellipsis)\": \(detail)"
    }

    static func empty() -> Self {
        Self("", .empty, "the pattern is empty; use \">\" to match every topic")
    }

    static func tooLong(_ pattern: String) -> Self {
        Self(
            pattern, .tooLong,
            "\(pattern.utf8.count) UTF-8 bytes, over the limit of \(TopicPattern.maximumLength) bytes"
        )
    }

    static func tooManyTokens(_ pattern: String) -> Self {
        Self(
            pattern, .tooManyTokens,
            "more than \(TopicPattern.maximumTokenCount) tokens, over the limit of "
                + "\(TopicPattern.maximumTokenCount); \">\" can stand for any number of trailing tokens"
        )
    }

    static func emptyToken(_ pattern: String, position: Int) -> Self {
        Self(
            pattern, .emptyToken, position: position, token: "",
            "empty token at position \(position); tokens are separated by single dots, with no dot at either end"
        )
    }

    static func whitespace(_ pattern: String, position: Int, token: String) -> Self {
        Self(
            pattern, .whitespace, position: position, token: token,
            "token \"\(token)\" at position \(position) contains whitespace; patterns may not contain whitespace"
        )
    }

    static func wildcardInsideToken(_ pattern: String, position: Int, token: String) -> Self {
        Self(
            pattern, .wildcardInsideToken, position: position, token: token,
            "token \"\(token)\" at position \(position) mixes a wildcard with other characters; "
                + "\"*\" and \">\" are wildcards only as whole tokens"
        )
    }

    static func restNotLast(_ pattern: String, position: Int) -> Self {
        Self(
            pattern, .restNotLast, position: position, token: ">",
            "\">\" at position \(position) is not the last token; "
                + "\">\" matches all remaining tokens, so it may only end a pattern"
        )
    }
}
