import Foundation
import Herald

/// A client's credential for `herald serve`: a name for logs, a secret sent as `Authorization: Bearer SECRET`,
/// the scopes it grants, the topics each scope is limited to, and its own rate limit.
public struct APIKey: Sendable, Hashable {
    /// What a key may do.
    public struct Scope: Sendable, Hashable, CustomStringConvertible {
        /// The scope's name as written in `--api-key NAME:SECRET:SCOPES`.
        public let name: String

        /// Publish events: `POST /v1/events`, and publishing over a WebSocket.
        public static let publish = Scope(name: "publish")
        /// Read and consume events: queries, streams, topics, polling and acknowledging in consumer groups.
        public static let subscribe = Scope(name: "subscribe")
        /// Administer: create and delete consumer groups, requeue dead letters, read metrics.
        public static let admin = Scope(name: "admin")

        /// Every scope Herald knows.
        public static let all: [Scope] = [.publish, .subscribe, .admin]

        public var description: String { name }
    }

    /// The fewest characters a secret may have: short secrets can be guessed.
    public static let minimumSecretLength = 16

    /// The key's name, which logs and admin audit lines show; never the secret.
    public var name: String
    /// The bearer token a client sends.
    public var secret: String
    /// What the key may do.
    public var scopes: Set<Scope>
    /// For each scope limited to some topics, the patterns it is limited to; a scope not in here covers every
    /// topic. See ``TopicAccess`` for what each scope's patterns govern.
    public var topicLimits: [Scope: [TopicPattern]]
    /// How many requests the key may make, overriding the server's ``HeraldServerConfiguration/rateLimit``;
    /// `nil` for the server's.
    public var rateLimit: RateLimit?

    /// Creates a key.
    public init(
        name: String, secret: String, scopes: Set<Scope>, topicLimits: [Scope: [TopicPattern]] = [:],
        rateLimit: RateLimit? = nil
    ) {
        self.name = name
        self.secret = secret
        self.scopes = scopes
        self.topicLimits = topicLimits
        self.rateLimit = rateLimit
    }

    /// Reads a key written as `NAME:SECRET:SCOPES`, the form of `--api-key` and `HERALD_API_KEYS`.
    ///
    /// `SCOPES` is a comma-separated list of `publish`, `subscribe` and `admin`, or `all`. Each may be limited to
    /// topic patterns with `=` and patterns separated by `|`: `publish=orders.>,subscribe=sensors.>|alerts.*,admin`
    /// publishes to `orders.>` only, reads `sensors.>` and `alerts.*` only, and administers everything
    /// (`all=orders.>` limits every scope to `orders.>`). One more item, `rate=N/s` or `rate=N/m`, gives the key
    /// its own rate limit. The secret may itself contain colons: the name ends at the first colon and the scopes
    /// start after the last, so patterns in a key cannot contain `:`, nor `,` or `|`.
    ///
    /// - Throws: ``HeraldServerConfigurationError`` saying which part is wrong and how to write it; the message
    ///   never contains the secret.
    public init(parsing text: String) throws(HeraldServerConfigurationError) {
        let form =
            "write keys as NAME:SECRET:SCOPES, such as 'ci:\(String(repeating: "x", count: 24)):publish,subscribe' "
            + "or, limited to topics, 'ci:\(String(repeating: "x", count: 24)):publish=orders.>,subscribe=sensors.>'"
        guard let firstColon = text.firstIndex(of: ":"), let lastColon = text.lastIndex(of: ":"),
            firstColon < lastColon
        else {
            throw HeraldServerConfigurationError("an API key has fewer than three ':'-separated parts; \(form)")
        }
        let name = String(text[..<firstColon])
        let secret = String(text[text.index(after: firstColon)..<lastColon])
        let scopeList = text[text.index(after: lastColon)...]
        guard !name.isEmpty, name.count <= 64,
            name.unicodeScalars.allSatisfy({ Self.nameCharacters.contains($0) })
        else {
            throw HeraldServerConfigurationError(
                "API key name '\(name.prefix(64))' must be 1 to 64 letters, digits, '.', '_' or '-'; \(form)")
        }
        guard secret.count >= Self.minimumSecretLength else {
            throw HeraldServerConfigurationError(
                "the secret of API key '\(name)' is \(secret.count) characters; use at least "
                    + "\(Self.minimumSecretLength), for example the output of 'openssl rand -hex 24'")
        }
        guard !secret.contains(where: { $0.isWhitespace || $0 == ";" }) else {
            throw HeraldServerConfigurationError(
                "the secret of API key '\(name)' contains whitespace or ';', which separate keys in "
                    + "HERALD_API_KEYS; use letters, digits and punctuation only")
        }
        var key = APIKey(name: name, secret: secret, scopes: [])
        for item in scopeList.split(separator: ",", omittingEmptySubsequences: false) {
            try key.addScope(item.trimmingCharacters(in: .whitespaces))
        }
        self = key
    }

    /// Adds one item of the scope list: `SCOPE`, `SCOPE=PATTERN|PATTERN...` or `rate=N/s`.
    private mutating func addScope(_ item: String) throws(HeraldServerConfigurationError) {
        let word = String(item.prefix { $0 != "=" }).lowercased()
        let patternList = item.contains("=") ? String(item.drop { $0 != "=" }.dropFirst()) : nil
        if word == "rate" {
            guard rateLimit == nil else {
                throw HeraldServerConfigurationError("API key '\(name)' gives 'rate' twice; give it once")
            }
            do {
                rateLimit = try RateLimit(parsing: patternList ?? "")
            } catch {
                throw HeraldServerConfigurationError("API key '\(name)': \(error.message)")
            }
            return
        }
        let named: [Scope]
        if word == "all" {
            named = Scope.all
        } else if let scope = Scope.all.first(where: { $0.name == word }) {
            named = [scope]
        } else {
            throw HeraldServerConfigurationError(
                "API key '\(name)' names unknown scope '\(word)'; scopes are publish, subscribe, admin or all, "
                    + "separated by commas, each optionally limited to topics as in 'publish=orders.>|payments.*', "
                    + "plus an optional rate limit such as 'rate=50/s'")
        }
        for scope in named {
            guard !scopes.contains(scope) else {
                throw HeraldServerConfigurationError(
                    "API key '\(name)' gives scope '\(scope)' twice; give each scope once, with all its topic "
                        + "patterns separated by '|', as in '\(scope)=orders.>|payments.*'")
            }
            scopes.insert(scope)
        }
        guard let patternList else { return }
        var patterns: [TopicPattern] = []
        for text in patternList.split(separator: "|", omittingEmptySubsequences: false) {
            do {
                patterns.append(try TopicPattern(String(text)))
            } catch {
                throw HeraldServerConfigurationError(
                    "API key '\(name)' limits scope '\(word)' to an invalid topic pattern: \(error); write patterns "
                        + "in NATS syntax separated by '|', as in '\(word)=orders.>|payments.*'")
            }
        }
        for scope in named { topicLimits[scope] = patterns }
    }

    /// Reads the keys of `HERALD_API_KEYS`: keys in the ``init(parsing:)`` form, separated by `;` or whitespace.
    public static func parseList(_ text: String) throws(HeraldServerConfigurationError) -> [APIKey] {
        var keys: [APIKey] = []
        for item in text.split(whereSeparator: { $0 == ";" || $0.isWhitespace }) {
            keys.append(try APIKey(parsing: String(item)))
        }
        return keys
    }

    private static let nameCharacters = Set(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-".unicodeScalars)
}
