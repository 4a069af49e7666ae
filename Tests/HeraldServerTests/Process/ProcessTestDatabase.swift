import Foundation
import HeraldPostgres
import Logging
import PostgresNIO

/// The PostgreSQL server of the process tests, as `HeraldPostgresTests` finds it: `HERALD_TEST_POSTGRES_URL`
/// (set by `scripts/test` after it starts a throwaway cluster). Without it the tests are skipped, unless
/// `HERALD_REQUIRE_POSTGRES=1`, under which they fail instead.
enum ProcessTestDatabase {
    static let url = ProcessInfo.processInfo.environment["HERALD_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    static let isRequired = ProcessInfo.processInfo.environment["HERALD_REQUIRE_POSTGRES"] == "1"

    /// Whether the PostgreSQL process tests run: there is a database, or one is required (and its absence fails).
    static let isEnabled = url != nil || isRequired

    /// The database URL, or a failure saying how to provide one.
    static func requireURL() throws -> String {
        guard let url else {
            throw ChildProcess.Failure(
                description: "HERALD_REQUIRE_POSTGRES=1 but HERALD_TEST_POSTGRES_URL is not set; run ./scripts/test, "
                    + "which starts a throwaway PostgreSQL, or point HERALD_TEST_POSTGRES_URL at a database you may "
                    + "write to")
        }
        return url
    }

    /// A schema name no other test uses.
    static func uniqueSchema(_ prefix: String) -> String {
        "\(prefix)_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
    }

    /// The database URL with `schema` selected, as `herald serve --store` takes it.
    static func storeURL(schema: String) throws -> String {
        let url = try requireURL()
        return url + (url.contains("?") ? "&" : "?") + "schema=\(schema)"
    }

    /// Drops `schema` and everything in it.
    static func dropSchema(_ schema: String) async throws {
        let url = try PostgresURL(try requireURL())
        let connection = try await PostgresConnection.connect(
            configuration: PostgresConnection.Configuration(
                host: url.host, port: url.port, username: url.username, password: url.password,
                database: url.database, tls: .disable),
            id: 1, logger: Logger(label: "herald.test.postgres"))
        do {
            try await connection.query(
                "DROP SCHEMA IF EXISTS \(unescaped: "\"\(schema)\"") CASCADE", logger: connection.logger)
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }
}
