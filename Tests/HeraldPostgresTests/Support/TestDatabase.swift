import Foundation
import Herald
import HeraldPostgres
import Logging
import PostgresNIO
import Testing

/// The PostgreSQL server the tests use: `HERALD_TEST_POSTGRES_URL`, which `scripts/test` sets after starting
/// a throwaway cluster. Without it the PostgreSQL tests are skipped, unless `HERALD_REQUIRE_POSTGRES=1`
/// (set by `scripts/test` and `.ci/run`), under which they fail instead.
enum TestDatabase {
    static let url = ProcessInfo.processInfo.environment["HERALD_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    static let isRequired = ProcessInfo.processInfo.environment["HERALD_REQUIRE_POSTGRES"] == "1"

    /// Whether the PostgreSQL tests run: there is a database, or one is required (and its absence fails).
    static let isEnabled = url != nil || isRequired

    /// The database URL, or a test failure saying how to provide one.
    static func requireURL() throws -> String {
        guard let url else {
            throw PostgresTestFailure(
                "HERALD_REQUIRE_POSTGRES=1 but HERALD_TEST_POSTGRES_URL is not set; run ./scripts/test, which starts "
                    + "a throwaway PostgreSQL, or point HERALD_TEST_POSTGRES_URL at a database you may write to"
            )
        }
        return url
    }

    /// A schema name no other test uses.
    static func uniqueSchema(_ prefix: String = "t") -> String {
        "\(prefix)_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
    }

    /// Drops a schema and everything in it.
    static func dropSchema(_ schema: String) async throws {
        let url = try PostgresURL(try requireURL())
        let configuration = PostgresConnection.Configuration(
            host: url.host,
            port: url.port,
            username: url.username,
            password: url.password,
            database: url.database,
            tls: .disable
        )
        let connection = try await PostgresConnection.connect(
            configuration: configuration,
            id: 1,
            logger: Logger(label: "herald.test.postgres")
        )
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

/// A PostgreSQL test that could not run, and what to do.
struct PostgresTestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
