import Foundation

/// A private PostgreSQL cluster for a test that stops and starts the server, made by
/// `scripts/postgres-test-cluster` on 127.0.0.1 and a free port. Call ``stop()`` when done, also on failure.
struct PostgresTestCluster: Sendable {
    /// The cluster's directory; the script refuses one that exists.
    let directory: String
    /// `postgres://postgres@127.0.0.1:PORT/postgres`.
    let url: String

    /// The script, found from this file's place in the repository.
    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Support
        .deletingLastPathComponent()  // HeraldPostgresTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // the repository
        .appendingPathComponent("scripts/postgres-test-cluster").path

    /// Creates and starts a cluster in a new directory under the temporary directory.
    static func start() async throws -> PostgresTestCluster {
        // Directly under the temporary directory: when run as root, the script hands the directory to the
        // postgres user, who must be able to reach it.
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("herald-pg-\(UUID().uuidString.prefix(8).lowercased())").path
        let output = try await run("start", directory)
        guard let url = output.split(separator: "\n").last.map(String.init), url.hasPrefix("postgres://") else {
            throw PostgresTestFailure("scripts/postgres-test-cluster start printed no URL: \(output)")
        }
        return PostgresTestCluster(directory: directory, url: url)
    }

    /// Stops the server (fast shutdown: sessions are ended), keeping the cluster for ``resume()``.
    func halt() async throws {
        _ = try await Self.run("halt", directory)
    }

    /// Starts the halted server again on the same port.
    func resume() async throws {
        _ = try await Self.run("resume", directory)
    }

    /// Stops the server and removes the cluster's directory.
    func stop() async {
        _ = try? await Self.run("stop", directory)
    }

    /// Runs the script and returns its standard output, waiting for it on a thread of its own.
    ///
    /// `posix_spawn` and `waitpid` rather than Foundation's `Process`, whose termination notification has
    /// been seen to go missing on Linux.
    private static func run(_ command: String, _ directory: String) async throws -> String {
        let output = FileManager.default.temporaryDirectory
            .appendingPathComponent("herald-pg-script-\(UUID().uuidString).out").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let words: [String] = [script, command, directory]
        let argv = words.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, script, &actions, nil, argv, environ)
        guard spawned == 0 else {
            throw PostgresTestFailure("could not start \(script): error \(spawned)")
        }
        let child = pid
        let status: Int32 = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var status: Int32 = 0
                while waitpid(child, &status, 0) == -1, errno == EINTR {}
                continuation.resume(returning: status)
            }
        }
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        guard status == 0 else {
            throw PostgresTestFailure(
                "scripts/postgres-test-cluster \(command) \(directory) failed (wait status \(status)): \(text)")
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
