import Foundation
import Herald
import HeraldSQLite
import HeraldServer
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// A `herald serve` application in this process, on a fresh SQLite file, for one benchmark case.
struct BenchServer {
    let store: SQLiteEventStore
    let port: Int
    private let task: Task<Void, any Error>
    private let serviceGroup: ServiceGroup
    private let path: String

    /// Starts the server and returns once it listens.
    static func start(path: String) async throws -> BenchServer {
        LogCommand.removeDatabase(at: path)
        let store = try await SQLiteEventStore.open(path: path)
        var logger = Logger(label: "herald.bench.server")
        logger.logLevel = .error
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let application = buildHeraldApplication(
            store: store, configuration: HeraldServerConfiguration(port: 0), logger: logger,
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            })
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(services: [application], logger: logger))
        let task = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            task.cancel()
            try? await store.close()
            throw BenchServerError(description: "the benchmark server did not start")
        }
        return BenchServer(store: store, port: port, task: task, serviceGroup: group, path: path)
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Shuts the server down gracefully, closes the store and deletes its file.
    func stop() async throws {
        await serviceGroup.triggerGracefulShutdown()
        try await task.value
        try await store.close()
        LogCommand.removeDatabase(at: path)
    }
}

struct BenchServerError: Error, CustomStringConvertible {
    var description: String
}
