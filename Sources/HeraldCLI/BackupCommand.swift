import ArgumentParser
import Foundation
import Herald
import HeraldSQLite

/// `herald backup --store sqlite:PATH --to FILE`: a consistent copy of a SQLite store, while the server runs.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy a SQLite event store to a new file, consistently, while herald serve runs on it.",
        discussion: """
            The copy is one snapshot: every event and ack committed before the backup began is in it. It needs no \
            server and takes no lock of Herald's, so the server goes on serving. To restore, stop the server, put \
            the copy in place of the database (removing its -wal and -shm files), and start the server again; or \
            start a server on the copy with --store sqlite:FILE. PostgreSQL stores are backed up with PostgreSQL's \
            own tools (pg_dump, or continuous archiving).
            """
    )

    @Option(help: "The store to copy, sqlite:PATH. (default: $HERALD_STORE or sqlite:./herald.db)")
    var store: String?

    @Option(help: ArgumentHelp("The new file to write; it must not exist.", valueName: "file"))
    var to: String

    func run() async throws {
        let text = store ?? ProcessInfo.processInfo.environment["HERALD_STORE"] ?? "sqlite:./herald.db"
        guard case .sqlite(let path) = try StoreLocation(text) else {
            throw ValidationError(
                "herald backup copies SQLite stores; back up '\(text)' with PostgreSQL's own tools (pg_dump, or "
                    + "continuous archiving)")
        }
        do {
            let summary = try await SQLiteBackup.copy(databaseAt: path, to: to)
            Output.line(
                "backed up sqlite:\(path) to \(to): \(summary.events) events, up to sequence \(summary.lastSequence)")
        } catch let error as EventLogError {
            Output.error("error: \(error.message)")
            throw ExitCode.failure
        }
    }
}
