import AsyncHTTPClient
import Foundation
import Herald
import HeraldTesting
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

/// `herald serve --store postgres://...` as a process: what it says about a bad URL or an unreachable
/// database, and that it serves from a real one, named by the flag or by `HERALD_STORE`.
@Suite struct ServePostgresStoreProcessTests {
    /// Runs `herald serve` expecting it to fail: returns its exit status and standard error.
    static func failingServe(_ arguments: [String], environment: [String: String] = [:]) async throws -> (
        Int32, String
    ) {
        let child = try ServeProcess.run(
            ["serve", "--host", "127.0.0.1", "--port", "0"] + arguments, environment: environment)
        let output = try await child.allErrorLines(timeout: .seconds(30))
        let status = try await child.waitForExit(timeout: testHangLimit)
        return (status, output.joined(separator: "\n"))
    }

    @Test(
        arguments: [
            ("postgres://127.0.0.1:5432/herald", "names no user", 64),
            ("postgresql://postgres@127.0.0.1:5432", "names no database", 64),
            ("postgres://postgres:hunter2@127.0.0.1:5432/herald?sslmode=maybe", "sslmode 'maybe' is not supported", 64),
            ("postgres://postgres@127.0.0.1:5432/herald?colour=red", "unknown parameter 'colour'", 64),
            // The schema is checked when connecting, before any connection is made.
            (
                "postgres://postgres@127.0.0.1:5432/herald?schema=bad-name",
                "schema 'bad-name' is not a plain identifier", 1
            ),
        ] as [(String, String, Int32)])
    func aBadPostgresURLIsRefusedWithWhatIsWrong(url: String, complaint: String, expectedStatus: Int32) async throws {
        let (status, output) = try await Self.failingServe(["--store", url])
        // 64 is ArgumentParser's validation failure (EX_USAGE).
        #expect(status == expectedStatus, "\(output)")
        #expect(output.contains(complaint), "\(output)")
        #expect(!output.contains("hunter2"), "the password was printed: \(output)")
    }

    @Test func aBadPostgresURLInTheEnvironmentIsRefusedToo() async throws {
        let (status, output) = try await Self.failingServe([], environment: ["HERALD_STORE": "postgres://@127.0.0.1/x"])
        #expect(status == 64, "\(output)")
        #expect(output.contains("names no user"), "\(output)")
        #expect(output.contains("postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE"), "\(output)")
    }

    @Test func anUnknownStoreNamesEveryForm() async throws {
        let (status, output) = try await Self.failingServe(["--store", "mysql://root@127.0.0.1/herald"])
        #expect(status == 64, "\(output)")
        #expect(output.contains("'memory'") && output.contains("'sqlite:PATH'"), "\(output)")
        #expect(output.contains("postgres://USER@HOST:PORT/DATABASE"), "\(output)")
    }

    @Test(.timeLimit(.minutes(5)))
    func anUnreachableDatabaseEndsServeWithStatus1AndSaysSo() async throws {
        // A port nobody listens on: bound and closed again.
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(channel.localAddress?.port)
        try await channel.close()
        let started = ContinuousClock.now
        let (status, output) = try await Self.failingServe([
            "--store", "postgres://postgres:hunter2@127.0.0.1:\(port)/postgres",
        ])
        #expect(status == 1, "\(output)")
        #expect(
            output.contains("cannot open the store postgres://postgres:***@127.0.0.1:\(port)/postgres"), "\(output)")
        #expect(output.contains("cannot be reached"), "\(output)")
        #expect(!output.contains("hunter2"), "the password was printed: \(output)")
        // The connect timeout bounds it, not an endless retry (which the time limit would stop).
        #expect(output.contains("no connection within 5.0 seconds"), "\(output)")
    }

    @Test(
        .timeLimit(.minutes(5)),
        .enabled(if: ProcessTestDatabase.isEnabled, "needs PostgreSQL: set HERALD_TEST_POSTGRES_URL"))
    func servesFromPostgresNamedInTheEnvironmentAndKeepsEventsAcrossRestarts() async throws {
        let schema = ProcessTestDatabase.uniqueSchema("serve")
        let url = try ProcessTestDatabase.storeURL(schema: schema).replacingOccurrences(
            of: "postgres://", with: "postgresql://")
        do {
            let first = try await ServeProcess([], environment: ["HERALD_STORE": url])
            defer { first.killNow() }
            #expect(try await ServeProcessTests.publish("kept", to: first).status == .created)
            #expect(try await first.stop() == 0)

            let second = try await ServeProcess([], environment: ["HERALD_STORE": url])
            defer { second.killNow() }
            let response = try await HTTPClient.shared.execute(
                HTTPClientRequest(url: "\(second.baseURL)/v1/events?after=0"), timeout: requestHangLimit)
            let body = String(buffer: try await response.body.collect(upTo: 1 << 20))
            #expect(body.contains(#""id":"kept""#), "\(body)")
            #expect(try await second.stop() == 0)
        } catch {
            try? await ProcessTestDatabase.dropSchema(schema)
            throw error
        }
        try await ProcessTestDatabase.dropSchema(schema)
    }
}
