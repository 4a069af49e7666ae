import ArgumentParser
import Herald
import HeraldPostgres
import HeraldSQLite

/// Where the events live, as `--store` or `HERALD_STORE` names it.
enum StoreLocation: Equatable, CustomStringConvertible {
    case memory
    case sqlite(path: String)
    /// A PostgreSQL database, which several servers may share; `url` is the text as given.
    case postgres(url: String, parsed: PostgresURL)

    /// The location for logs: a PostgreSQL password is left out.
    var description: String {
        switch self {
        case .memory: "memory"
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(_, let parsed): parsed.description
        }
    }

    init(_ text: String) throws {
        let scheme = text.prefix { $0 != ":" }.lowercased()
        if text == "memory" {
            self = .memory
        } else if text.hasPrefix("sqlite:"), text.count > "sqlite:".count {
            self = .sqlite(path: String(text.dropFirst("sqlite:".count)))
        } else if scheme == "postgres" || scheme == "postgresql" {
            do {
                self = .postgres(url: text, parsed: try PostgresURL(text))
            } catch let error as EventLogError {
                throw ValidationError("store: \(error.message)")
            }
        } else {
            throw ValidationError(
                "store '\(text)' is not one Herald knows; use 'memory', 'sqlite:PATH' such as "
                    + "'sqlite:./herald.db', or 'postgres://USER@HOST:PORT/DATABASE' such as "
                    + "'postgres://postgres@127.0.0.1:5432/postgres'")
        }
    }

    /// Opens the store: its events, consumer groups and process state, and how to close it.
    ///
    /// - Throws: `ExitCode.failure` after printing one clear line when a PostgreSQL database cannot be reached.
    func open() async throws -> (
        store: any EventLog & ConsumerGroupStore & ProcessStore, close: @Sendable () async throws -> Void
    ) {
        switch self {
        case .memory:
            return (InMemoryEventStore(), {})
        case .sqlite(let path):
            let sqlite = try await SQLiteEventStore.open(path: path)
            return (sqlite, { try await sqlite.close() })
        case .postgres(let url, _):
            let postgres: PostgresEventStore
            do {
                postgres = try await PostgresEventStore.connect(url: url)
            } catch let error as EventLogError {
                // One clear line and exit status 1, rather than the error's type and fields.
                Output.error("error: cannot open the store \(self): \(error.message)")
                throw ExitCode.failure
            }
            return (postgres, { try await postgres.close() })
        }
    }
}
