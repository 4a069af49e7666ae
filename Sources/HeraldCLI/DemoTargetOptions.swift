import ArgumentParser
import Foundation
import HeraldClient
import HeraldExamples
import HeraldSQLite

/// `--store`, `--server` and `--api-key` of the demos: where a demo keeps its events.
struct DemoTargetOptions: ParsableArguments {
    @Option(help: "A SQLite file to keep the events in. (default: a temporary file, deleted at the end)")
    var store: String?

    @Option(help: "A running Herald server's URL, such as http://127.0.0.1:8080, to publish to.")
    var server: String?

    @Option(help: "The server's API key, sent as 'Authorization: Bearer KEY'. (default: $HERALD_API_KEY)")
    var apiKey: String?

    func validate() throws {
        _ = try serverOptions()
        if let store, store.isEmpty { throw ValidationError("--store must name a file, such as ./demo.db") }
    }

    /// The `--server` and `--api-key` as the client commands take them, or `nil` without `--server`.
    func serverOptions() throws -> ServerOptions? {
        guard let server else { return nil }
        return try ServerOptions.parse(["--server", server] + (apiKey.map { ["--api-key", $0] } ?? []))
    }

    /// Runs `body` with the embedded store: `--store`, or a temporary file; closes it afterwards.
    func withStore<Result>(_ body: (SQLiteEventStore) async throws -> Result) async throws -> Result {
        let store =
            if let path = self.store { try await SQLiteEventStore.open(path: path) } else {
                try await SQLiteEventStore.openTemporary()
            }
        let result: Result
        do {
            result = try await body(store)
        } catch {
            try? await store.close()
            throw error
        }
        try await store.close()
        if let path = self.store {
            Output.line(
                "the events are in \(path): 'herald serve --store sqlite:\(path)' serves them to 'herald query'")
        }
        return result
    }

    /// Runs `body` with a client for `--server`, or with `nil` when there is none.
    func withClient<Result>(_ body: (HeraldClient?) async throws -> Result) async throws -> Result {
        guard let options = try serverOptions() else { return try await body(nil) }
        return try await options.withClient { client in try await body(client) }
    }
}
