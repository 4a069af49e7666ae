import Foundation
import Herald
import HeraldPostgres
import Logging
import PostgresNIO
import Synchronization

/// The PostgreSQL database `herald-bench log --store postgres://...` measures: each case gets a store in a
/// schema of its own (`bench_` and random hex), dropped when the case's store closes, so runs never see each
/// other's rows and leave nothing behind.
///
/// Also opens other nodes (more ``PostgresEventStore`` instances on the same schema, with their own
/// connections, as a second Herald process would) and a plain postgres-nio client for the raw baseline.
/// Call ``shutDown()`` when done.
final class PostgresBenchDatabase: Sendable {
    /// The user's URL, without a schema.
    let url: String
    /// Where the URL points, parsed.
    let address: PostgresURL
    /// A plain client for dropping schemas and for the raw baseline.
    let client: PostgresClient
    private let clientTask: Task<Void, Never>
    /// The schema of each store made by ``makeStore()`` that is still open, by store.
    private let primaries = Mutex<[ObjectIdentifier: String]>([:])

    /// Parses `url` and starts a client for it; connects lazily.
    ///
    /// - Throws: ``EventLogError`` with ``EventLogError/Code/invalidArgument`` for a URL that
    ///   ``PostgresURL`` refuses or that names a schema (the bench makes its own).
    init(url: String) throws {
        let address = try PostgresURL(url)
        guard address.schema == nil else {
            throw EventLogError(
                .invalidArgument,
                "herald-bench makes a fresh schema for each case and drops it after; "
                    + "leave 'schema=\(address.schema ?? "")' out of the URL"
            )
        }
        let tls: PostgresClient.Configuration.TLS
        switch address.sslMode {
        case "require": tls = .require(.makeClientConfiguration())
        case "prefer": tls = .prefer(.makeClientConfiguration())
        default: tls = .disable
        }
        var configuration = PostgresClient.Configuration(
            host: address.host, port: address.port, username: address.username, password: address.password,
            database: address.database, tls: tls)
        configuration.options.maximumConnections = 5
        let client = PostgresClient(configuration: configuration, backgroundLogger: Logger(label: "herald-bench"))
        self.url = url
        self.address = address
        self.client = client
        self.clientTask = Task { await client.run() }
    }

    /// Connects a store in a new, empty schema.
    func makeStore() async throws -> any EventLog & ConsumerGroupStore {
        let schema = "bench_" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let store = try await PostgresEventStore.connect(url: url(schema: schema))
        primaries.withLock { $0[ObjectIdentifier(store)] = schema }
        return store
    }

    /// Connects another node to the schema of `store`, a store made by ``makeStore()``.
    func makeOtherNode(of store: any EventLog & ConsumerGroupStore) async throws -> any EventLog & ConsumerGroupStore {
        guard let store = store as? PostgresEventStore,
            let schema = primaries.withLock({ $0[ObjectIdentifier(store)] })
        else {
            throw EventLogError(.invalidArgument, "another node can only join a store made by makeStore()")
        }
        return try await PostgresEventStore.connect(url: url(schema: schema))
    }

    /// Closes `store`; when ``makeStore()`` made it, also drops its schema.
    func close(_ store: any EventLog & ConsumerGroupStore) async throws {
        guard let store = store as? PostgresEventStore else { return }
        try await store.close()
        if let schema = primaries.withLock({ $0.removeValue(forKey: ObjectIdentifier(store)) }) {
            try await client.query(PostgresQuery(unsafeSQL: "DROP SCHEMA \"\(schema)\" CASCADE"))
        }
    }

    /// Stops the client.
    func shutDown() async {
        clientTask.cancel()
        await clientTask.value
    }

    private func url(schema: String) -> String {
        url + (url.contains("?") ? "&" : "?") + "schema=" + schema
    }
}
