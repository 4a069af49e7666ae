import AsyncHTTPClient
import Foundation
import Herald
import HeraldSQLite
import HeraldTesting
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

/// `herald serve` as a process: signals, flags, the environment.
@Suite(.serialized) struct ServeProcessTests {
    static func publish(_ id: String, to server: ServeProcess, key: String? = nil) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: "\(server.baseURL)/v1/events")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/cloudevents+json")
        if let key { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        let event = Event(id: id, source: "/process-test", type: "test.published")
        request.body = .bytes(ByteBuffer(bytes: event.jsonData()))
        return try await HTTPClient.shared.execute(request, timeout: requestHangLimit)
    }

    static func temporaryDatabase() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("herald-serve-\(UUID()).db").path
    }

    static func removeDatabase(_ path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    @Test(.timeLimit(.minutes(5)), arguments: [SIGTERM, SIGINT])
    func aSignalDrainsRequestsAndLosesNoAcceptedEvent(signal: Int32) async throws {
        let path = Self.temporaryDatabase()
        defer { Self.removeDatabase(path) }
        let server = try await ServeProcess(["--store", "sqlite:\(path)"])

        let accepted = Accepted()
        let signalled = Accepted()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for publisher in 0..<4 {
                group.addTask {
                    // Each publisher goes on until the server stops answering, at most 5,000 events. Before the
                    // signal, every publish must succeed: the first failure ends the test at once, saying why.
                    for number in 0..<5_000 {
                        let id = "p\(publisher)-\(number)"
                        let outcome: String
                        do {
                            let response = try await Self.publish(id, to: server)
                            if response.status == .created {
                                await accepted.insert(id)
                                continue
                            }
                            outcome = "answered \(response.status)"
                        } catch {
                            outcome = "failed: \(error)"
                        }
                        if await signalled.count == 0 { await accepted.fail("publishing \(id) \(outcome)") }
                        return
                    }
                }
            }
            await accepted.waitUntil(count: 200)
            if let failure = await accepted.firstFailure {
                _ = try? await server.stop(signal: SIGKILL)
                throw ChildProcess.Failure(description: "before the signal: \(failure)")
            }
            await signalled.insert("signal")
            let status = try await server.stop(signal: signal)
            #expect(status == 0, "herald serve exited with \(status) after signal \(signal)")
            // The server is gone: a publish still waiting for its answer can only fail, and is not accepted.
            group.cancelAll()
            try await group.waitForAll()
        }
        let acceptedIDs = await accepted.ids
        #expect(acceptedIDs.count >= 200)
        #expect(await signalled.count == 1)

        let store = try await SQLiteEventStore.open(path: path)
        var stored = Set<String>()
        do {
            var after: Int64 = 0
            while true {
                let page = try await store.read(after: after, filter: .all, limit: 1_000)
                stored.formUnion(page.events.map(\.event.id))
                if page.nextAfter == after { break }
                after = page.nextAfter
            }
            try await store.close()
        } catch {
            try? await store.close()
            throw error
        }
        #expect(
            acceptedIDs.isSubset(of: stored), "accepted but not stored: \(acceptedIDs.subtracting(stored).sorted())")
    }

    @Test func refusesANonLoopbackHostWithoutKeysAndSaysHowToFixIt() async throws {
        let child = try ServeProcess.run(["serve", "--host", "0.0.0.0", "--store", "memory"])
        let output = try await child.allErrorLines(timeout: .seconds(30))
        let status = try await child.waitForExit(timeout: testHangLimit)
        #expect(status != 0)
        let text = output.joined(separator: "\n")
        #expect(text.contains("refusing to listen on '0.0.0.0' without API keys"), "\(text)")
        #expect(text.contains("--allow-unauthenticated"))
    }

    @Test func refusesAMalformedKeyFromTheEnvironment() async throws {
        let child = try ServeProcess.run(
            ["serve", "--store", "memory"], environment: ["HERALD_API_KEYS": "ci:short:publish"])
        let output = try await child.allErrorLines(timeout: .seconds(30))
        #expect(try await child.waitForExit(timeout: testHangLimit) != 0)
        #expect(output.joined().contains("use at least 16"), "\(output)")
        #expect(!output.joined().contains("short:publish"))
    }

    @Test func keysFromTheEnvironmentGuardTheAPIAndMetricsShowRequests() async throws {
        let secret = "process-test-secret-0123"
        let server = try await ServeProcess(
            ["--store", "memory"], environment: ["HERALD_API_KEYS": "ops:\(secret):all"])
        defer { server.killNow() }

        #expect(try await Self.publish("1", to: server).status == .unauthorized)
        #expect(try await Self.publish("1", to: server, key: secret).status == .created)

        var request = HTTPClientRequest(url: "\(server.baseURL)/metrics")
        request.headers.add(name: "Authorization", value: "Bearer \(secret)")
        let response = try await HTTPClient.shared.execute(request, timeout: requestHangLimit)
        #expect(response.status == .ok)
        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        #expect(text.contains(#"herald_events_published_total{outcome="stored"} 1"#))
        // Hummingbird's request metrics reach the same registry through the bootstrapped metrics system.
        #expect(text.contains("hb_requests"), "\(text)")
        #expect(try await server.stop() == 0)
    }

    /// `herald backup` copies the SQLite store of a running server, which goes on serving: the copy holds every
    /// event published before. A PostgreSQL store is refused with a pointer to PostgreSQL's own tools.
    @Test func backupCopiesTheStoreOfARunningServer() async throws {
        let path = Self.temporaryDatabase()
        let copy = path + ".backup"
        defer {
            Self.removeDatabase(path)
            Self.removeDatabase(copy)
        }
        let server = try await ServeProcess(["--store", "sqlite:\(path)"])
        defer { server.killNow() }
        for number in 0..<20 {
            #expect(try await Self.publish("b\(number)", to: server).status == .created)
        }
        let backup = try ServeProcess.run(["backup", "--store", "sqlite:\(path)", "--to", copy])
        let errors = try await backup.allErrorLines(timeout: testHangLimit)
        #expect(try await backup.waitForExit(timeout: testHangLimit) == 0, "\(errors)")
        #expect(try await Self.publish("after", to: server).status == .created, "the server goes on serving")
        #expect(try await server.stop() == 0)
        let store = try await SQLiteEventStore.open(path: copy)
        let ids = try await store.read(after: 0, filter: .all, limit: 100).events.map(\.event.id)
        try await store.close()
        #expect(ids == (0..<20).map { "b\($0)" })

        let refused = try ServeProcess.run([
            "backup", "--store", "postgres://postgres@127.0.0.1:1/postgres", "--to", copy + ".2",
        ])
        let message = try await refused.allErrorLines(timeout: testHangLimit).joined(separator: "\n")
        #expect(try await refused.waitForExit(timeout: testHangLimit) != 0)
        #expect(message.contains("pg_dump"), "\(message)")
    }

    /// `herald health`, the container's health check: 0 while the server answers, 1 once it is gone; no key needed.
    @Test func healthExitsWithZeroWhileTheServerAnswers() async throws {
        let server = try await ServeProcess(["--store", "memory", "--api-key", "admin:health-test-secret-01:all"])
        defer { server.killNow() }
        for arguments in [["health"], ["health", "--ready"]] {
            let check = try ServeProcess.run(arguments + ["--server", server.baseURL])
            let errors = try await check.allErrorLines(timeout: testHangLimit)
            #expect(try await check.waitForExit(timeout: testHangLimit) == 0, "\(arguments): \(errors)")
        }
        let baseURL = server.baseURL
        #expect(try await server.stop() == 0)
        let gone = try ServeProcess.run(["health", "--server", baseURL])
        let errors = try await gone.allErrorLines(timeout: testHangLimit)
        #expect(try await gone.waitForExit(timeout: testHangLimit) == 1)
        #expect(errors.joined().contains("cannot reach"), "\(errors)")
    }

    @Test func theCLIExitsQuietlyWhenItsReaderGoesAway() async throws {
        let server = try await ServeProcess(["--store", "memory"])
        defer { server.killNow() }
        for number in 0..<50 {
            #expect(try await Self.publish("e\(number)", to: server).status == .created)
        }
        // As in `herald query | head -1`: the reader of standard output is gone before the first line.
        let query = try ServeProcess.run(
            ["query", "--server", server.baseURL, "--limit", "1000"], closedStandardOutput: true)
        let output = try await query.allErrorLines(timeout: .seconds(30))
        #expect(try await query.waitForExit(timeout: testHangLimit) == 0)
        #expect(!output.joined().contains("Fatal error"), "\(output)")
        #expect(try await server.stop() == 0)
    }

    @Test(.timeLimit(.minutes(5)))
    func aConnectionThatNeverSendsARequestDoesNotHoldUpShutdown() async throws {
        let server = try await ServeProcess(["--store", "memory"])
        defer { server.killNow() }
        let idle = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: server.port).get()
        // Well within the server's 10-second grace period: the idle connection is closed at once.
        #expect(try await server.stop(timeout: .seconds(5)) == 0)
        try? await idle.close()
    }
}

/// Ids collected by concurrent tasks, and the first failure one of them met.
actor Accepted {
    private(set) var ids = Set<String>()
    private(set) var firstFailure: String?
    private var waiters: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
    var count: Int { ids.count }

    /// Records `reason` if it is the first failure, and ends every wait.
    func fail(_ reason: String) {
        if firstFailure == nil { firstFailure = reason }
        for waiter in waiters { waiter.continuation.resume() }
        waiters.removeAll()
    }

    func insert(_ id: String) {
        ids.insert(id)
        let ready = waiters.filter { $0.count <= ids.count }
        waiters.removeAll { $0.count <= ids.count }
        for waiter in ready { waiter.continuation.resume() }
    }

    /// Returns once `count` ids have been inserted or a failure was recorded; the test's time limit bounds the wait.
    func waitUntil(count: Int) async {
        if ids.count >= count || firstFailure != nil { return }
        await withCheckedContinuation { waiters.append((count, $0)) }
    }
}
