import ArgumentParser
import Foundation
import Herald
import HeraldSQLite

/// `herald-bench log`: the durable log and consumer groups, against the database's own baseline.
struct LogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Durable log appends, following, consumer groups and end-to-end latency."
    )

    @Option(
        help: """
            The store: 'memory', 'sqlite:PATH' (PATH is deleted and recreated for each case) or \
            'postgres://USER[:PASSWORD]@HOST[:PORT]/DB' (each case in a new schema, dropped after it).
            """
    )
    var store: String

    @Flag(help: "Print one JSON object per line instead of a markdown table.")
    var json = false

    @Option(help: "Events per throughput case.")
    var events = 100_000

    @Option(help: "Events stored before the group of group_consume_backlog is created.")
    var backlogEvents = 1_000_000

    @Option(help: "Seconds the latency case publishes at 1,000 events/s.")
    var latencySeconds = 3.0

    @Option(
        help:
            "Comma-separated cases (append_batch100, append_batch100_x16, append_concurrent64, append_nodes4_x16 (PostgreSQL: 16 appenders on 4 nodes), follow, group_consume, group_consume4, router_durable (a Router handler on a GroupConsumer, 8 at once), group_consume_backlog, groups50, e2e_latency); all by default."
    )
    var cases: String?

    func validate() throws {
        guard store == "memory" || (store.hasPrefix("sqlite:") && store.count > 7) || isPostgres else {
            throw ValidationError(
                "--store must be 'memory', 'sqlite:PATH' or 'postgres://USER@HOST:PORT/DB', got '\(store)'")
        }
        guard events >= 100, latencySeconds > 0, backlogEvents >= 100 else {
            throw ValidationError(
                "--events and --backlog-events must be at least 100 and --latency-seconds positive")
        }
    }

    private var isPostgres: Bool { store.hasPrefix("postgres://") || store.hasPrefix("postgresql://") }

    func run() async throws {
        let selected = cases.map { Set($0.split(separator: ",").map(String.init)) }
        if isPostgres {
            try await runPostgres(selected)
            return
        }
        var suite: LogSuite
        var sqlitePath: String?
        if store == "memory" {
            suite = LogSuite(
                makeStore: { InMemoryEventStore() }, closeStore: { _ in }, impl: "herald-memory", events: events,
                latencyDuration: .milliseconds(Int(latencySeconds * 1000)))
        } else {
            let path = String(store.dropFirst("sqlite:".count))
            sqlitePath = path
            suite = LogSuite(
                makeStore: {
                    Self.removeDatabase(at: path)
                    return try await SQLiteEventStore.open(path: path)
                },
                closeStore: { store in try await (store as? SQLiteEventStore)?.close() },
                impl: "herald-sqlite", events: events, latencyDuration: .milliseconds(Int(latencySeconds * 1000)))
        }
        suite.backlogEvents = backlogEvents
        if !json { print(BenchResult.tableHeader) }
        let report = { (result: BenchResult) in print(json ? result.jsonLine : result.tableRow) }
        try await suite.run(cases: selected, report: report)
        if let sqlitePath, selected?.contains("append_batch100") ?? true {
            Self.removeDatabase(at: sqlitePath)
            report(try await RawSQLiteBaseline.appendBatches(events: LogSuite.makeEvents(events), path: sqlitePath))
            Self.removeDatabase(at: sqlitePath)
        }
        if let sqlitePath, selected.map({ !$0.isDisjoint(with: Self.consumeCases) }) ?? true {
            Self.removeDatabase(at: sqlitePath)
            report(try await RawSQLiteBaseline.consume(events: LogSuite.makeEvents(events), path: sqlitePath))
            Self.removeDatabase(at: sqlitePath)
        }
    }

    /// The suite against PostgreSQL, then the raw postgres-nio baseline.
    private func runPostgres(_ selected: Set<String>?) async throws {
        let database: PostgresBenchDatabase
        do {
            database = try PostgresBenchDatabase(url: store)
        } catch let error as EventLogError {
            throw ValidationError(error.message)
        }
        var suite = LogSuite(
            makeStore: { try await database.makeStore() },
            closeStore: { store in try await database.close(store) },
            makeOtherNode: { store in try await database.makeOtherNode(of: store) },
            impl: "herald-postgres", events: events, latencyDuration: .milliseconds(Int(latencySeconds * 1000)))
        suite.backlogEvents = backlogEvents
        if !json { print(BenchResult.tableHeader) }
        let report = { (result: BenchResult) in print(json ? result.jsonLine : result.tableRow) }
        do {
            try await suite.run(cases: selected, report: report)
            if selected?.contains("append_batch100") ?? true {
                report(
                    try await RawPostgresBaseline.appendBatches(events: LogSuite.makeEvents(events), database: database)
                )
            }
            if selected.map({ !$0.isDisjoint(with: Self.consumeCases) }) ?? true {
                report(try await RawPostgresBaseline.consume(events: LogSuite.makeEvents(events), database: database))
            }
        } catch {
            await database.shutDown()
            throw error
        }
        await database.shutDown()
    }

    /// The cases whose raw baseline is the database's consume.
    static let consumeCases: Set<String> = [
        "group_consume", "group_consume4", "router_durable", "group_consume_backlog", "groups50",
    ]

    static func removeDatabase(at path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
}
