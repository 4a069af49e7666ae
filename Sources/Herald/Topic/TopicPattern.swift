/// A subscription pattern over event topics, in NATS subject syntax: `orders.*.placed`, `sensors.>`, `>`.
///
/// An event's topic is its CloudEvents `type`. Pattern and topic are both split into tokens at every `.`.
/// A literal token matches the identical topic token; `*` matches exactly one token; `>` matches one or
/// more trailing tokens and may only end a pattern, so `orders.>` matches `orders.eu` but not `orders`.
///
/// Matching compares tokens by their UTF-8 bytes: it is case-sensitive, and canonically equivalent
/// strings that are encoded differently (a precomposed `é` against `e` plus a combining accent) do not
/// match. Topics are not validated: an empty run between dots is a token too, so `a..b` has the three
/// tokens `a`, `` and `b`, and `a.*.b` matches it. Every topic has at least one token, so `>` matches all.
///
/// A pattern is at most ``maximumLength`` UTF-8 bytes and ``maximumTokenCount`` tokens, which bounds what
/// parsing and matching a hostile pattern can cost.
public struct TopicPattern: Sendable, Hashable, CustomStringConvertible {
    /// One token of a parsed pattern.
    enum Token: Sendable, Equatable {
        /// Matches the topic token with the same UTF-8 bytes.
        case literal(TopicTokenKey)
        /// `*`: matches any one token.
        case any
        /// `>`: matches one or more remaining tokens.
        case rest
    }

    /// The longest pattern accepted, in UTF-8 bytes.
    public static let maximumLength = 1024
    /// The most tokens a pattern may have.
    public static let maximumTokenCount = 64

    /// `>`: matches every topic.
    public static let all = TopicPattern(text: ">", tokens: [.rest])

    /// The pattern as written, for example `orders.*.placed`.
    public let text: String
    /// The parsed tokens, in order; `.rest` can only be last.
    let tokens: [Token]

    private init(text: String, tokens: [Token]) {
        self.text = text
        self.tokens = tokens
    }

    /// Parses a pattern.
    ///
    /// - Throws: ``TopicPatternError`` when the pattern is empty, longer than ``maximumLength`` bytes, has
    ///   more than ``maximumTokenCount`` tokens, an empty token (`a..b`, `.a`, `a.`), whitespace, a
    ///   wildcard inside a longer token (`ord*`, `a>`), or `>` anywhere but last.
    public init(_ text: String) throws(TopicPatternError) {
        guard !text.isEmpty else { throw .empty() }
        guard text.utf8.count <= Self.maximumLength else { throw .tooLong(text) }
        var contiguous = text
        // One token more than allowed is enough to tell that there are too many.
        let texts = contiguous.withUTF8 { bytes in
            var texts: [String] = []
            var remainder: Int? = 0
            while let start = remainder, texts.count <= Self.maximumTokenCount {
                let (end, next) = bytes.topicToken(from: start)
                texts.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self))
                remainder = next
            }
            return texts
        }
        var tokens: [Token] = []
        for (offset, token) in texts.enumerated() {
            let position = offset + 1
            if case .rest? = tokens.last { throw .restNotLast(text, position: offset) }
            guard position <= Self.maximumTokenCount else { throw .tooManyTokens(text) }
            guard !token.isEmpty else { throw .emptyToken(text, position: position) }
            if token == "*" {
                tokens.append(.any)
            } else if token == ">" {
                tokens.append(.rest)
            } else if token.unicodeScalars.contains(where: \.properties.isWhitespace) {
                throw .whitespace(text, position: position, token: token)
            } else if token.utf8.contains(where: { $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: ">") }) {
                throw .wildcardInsideToken(text, position: position, token: token)
            } else {
                tokens.append(.literal(TopicTokenKey(token)))
            }
        }
        self.init(text: text, tokens: tokens)
    }

    /// Whether `topic` matches this pattern.
    ///
    /// Checks one pattern directly. To find which of many patterns match a topic, use ``TopicTrie``,
    /// which does not look at each pattern in turn.
    public func matches(_ topic: String) -> Bool {
        var topic = topic
        return topic.withUTF8 { bytes in
            var remainder: Int? = 0
            for token in tokens {
                guard let start = remainder else { return false }
                let (end, next) = bytes.topicToken(from: start)
                switch token {
                case .literal(let literal):
                    guard literal.equals(UnsafeBufferPointer(rebasing: bytes[start..<end])) else { return false }
                case .any:
                    break
                case .rest:
                    return true
                }
                remainder = next
            }
            return remainder == nil
        }
    }

    /// The pattern as written.
    public var description: String { text }

    /// Two patterns are equal when their text is, byte for byte.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        TopicTokenKey(lhs.text) == TopicTokenKey(rhs.text)
    }

    /// Hashes the pattern's UTF-8 bytes, consistent with `==`.
    public func hash(into hasher: inout Hasher) {
        TopicTokenKey(text).hash(into: &hasher)
    }
}

/// A token's text, hashed and compared by its UTF-8 bytes, unlike `String`, which compares by canonical
/// equivalence. The literal children of a ``TopicTrie`` node are keyed by it.
struct TopicTokenKey: Hashable, Sendable {
    private var text: String

    init(_ text: String) {
        self.text = text
    }

    /// Copies the bytes of a topic token. Tokens up to 15 bytes fit in a `String` without allocating.
    /// Decoding keeps the bytes as they are: a token cut from valid UTF-8 at dots is valid UTF-8 itself.
    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        text = String(decoding: bytes, as: UTF8.self)
    }

    func equals(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var text = text
        return text.withUTF8 { $0.count == bytes.count && $0.elementsEqual(bytes) }
    }

    static func == (lhs: Self, rhs: Self) -> Bool {
        var right = rhs.text
        return right.withUTF8 { lhs.equals($0) }
    }

    func hash(into hasher: inout Hasher) {
        var text = text
        text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}

extension UnsafeBufferPointer<UInt8> {
    /// Where the token that starts at offset `start` ends, and where the next one starts, or `nil` if it is
    /// the last token.
    ///
    /// Splits at `.` bytes rather than at `Character`s, so a combining mark after a dot does not hide it.
    /// A dot at the very end is followed by one more, empty, token.
    func topicToken(from start: Int) -> (end: Int, next: Int?) {
        guard let dot = self[start...].firstIndex(of: UInt8(ascii: ".")) else { return (count, nil) }
        return (dot, dot + 1)
    }
}
