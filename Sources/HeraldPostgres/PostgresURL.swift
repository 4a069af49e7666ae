import Foundation
import Herald
import PostgresNIO

/// A PostgreSQL address as users write it: `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME]`.
///
/// `postgresql://` is accepted too. Percent-encoded user names and passwords are decoded. The query may set
/// `schema` (the store's schema) and `sslmode` (`disable`, the default, `prefer` or `require`).
public struct PostgresURL: Sendable, Hashable, CustomStringConvertible {
    /// The server's host name or address.
    public var host: String
    /// The server's port.
    public var port: Int
    /// The user to connect as.
    public var username: String
    /// The password, if any.
    public var password: String?
    /// The database.
    public var database: String
    /// The schema from the `schema` query item, if given.
    public var schema: String?
    /// Whether to use TLS: `disable`, `prefer` or `require`.
    public var sslMode: String

    /// Parses `text`.
    ///
    /// - Throws: ``EventLogError`` with ``EventLogError/Code/invalidArgument`` saying which part is wrong.
    public init(_ text: String) throws {
        let example = "write it as postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw EventLogError(.invalidArgument, "'\(Self.redacted(text))' is not a URL; \(example)")
        }
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw EventLogError(
                .invalidArgument,
                "'\(Self.redacted(text))' has the scheme '\(scheme)', not postgres; \(example)"
            )
        }
        guard let host = components.host, !host.isEmpty else {
            throw EventLogError(.invalidArgument, "'\(Self.redacted(text))' names no host; \(example)")
        }
        guard let user = components.percentEncodedUser.flatMap({ $0.removingPercentEncoding }), !user.isEmpty else {
            throw EventLogError(.invalidArgument, "'\(Self.redacted(text))' names no user; \(example)")
        }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else {
            throw EventLogError(
                .invalidArgument,
                "'\(Self.redacted(text))' names no database (the path after the host); \(example)"
            )
        }
        if let port = components.port, !(1...65_535).contains(port) {
            throw EventLogError(.invalidArgument, "port \(port) is out of range; use 1 to 65535")
        }
        self.host = host
        self.port = components.port ?? 5432
        self.username = user
        self.password = components.percentEncodedPassword.flatMap { $0.removingPercentEncoding }
        self.database = database.removingPercentEncoding ?? database
        self.schema = nil
        self.sslMode = "disable"
        for item in components.queryItems ?? [] {
            switch item.name {
            case "schema":
                schema = item.value
            case "sslmode":
                let mode = item.value ?? ""
                guard ["disable", "prefer", "require"].contains(mode) else {
                    throw EventLogError(
                        .invalidArgument,
                        "sslmode '\(mode)' is not supported; use disable, prefer or require"
                    )
                }
                sslMode = mode
            default:
                throw EventLogError(
                    .invalidArgument,
                    "unknown parameter '\(item.name)' in the PostgreSQL URL; Herald reads schema and sslmode"
                )
            }
        }
    }

    /// The URL without its password, for logs and messages.
    public var description: String {
        "postgres://\(username)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)"
            + (schema.map { "?schema=\($0)" } ?? "")
    }

    /// postgres-nio's client configuration for this address.
    func clientConfiguration(_ configuration: PostgresEventStore.Configuration) throws -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        switch sslMode {
        case "require": tls = .require(.makeClientConfiguration())
        case "prefer": tls = .prefer(.makeClientConfiguration())
        default: tls = .disable
        }
        var client = PostgresClient.Configuration(
            host: host,
            port: port,
            username: username,
            password: password,
            database: database,
            tls: tls
        )
        client.options.maximumConnections = configuration.maximumConnections
        client.options.connectTimeout = configuration.connectTimeout
        // No JIT compilation: Herald's statements are short, and PostgreSQL's cost estimates (over the
        // one-row `log_head`, or tables whose statistics are not yet gathered) made it compile some of them at
        // every call, several milliseconds each, longer than running them.
        client.options.additionalStartupParameters = [("application_name", "herald"), ("jit", "off")]
        return client
    }

    /// `text` with any password replaced, for error messages.
    static func redacted(_ text: String) -> String {
        guard let at = text.lastIndex(of: "@"), let schemeEnd = text.range(of: "://") else { return text }
        let credentials = text[schemeEnd.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return text }
        return text.replacingCharacters(in: text.index(after: colon)..<at, with: "***")
    }
}
