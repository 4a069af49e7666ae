import Foundation
import Testing

/// A `herald serve` child process, for tests of what only a real process shows: signals, flags and the
/// environment, the global metrics system.
final class ServeProcess: Sendable {
    let child: ChildProcess
    /// The port the server listens on, read from its "listening on" log line.
    let port: Int

    /// The `herald` executable, built with the tests into the same directory as the test bundle.
    static func executable() throws -> String {
        let candidates = [
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("herald"),
            Bundle.main.bundleURL.appendingPathComponent("herald"),
        ]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw ChildProcess.Failure(
                description: "herald is not built next to the tests (looked at \(candidates.map(\.path))); run "
                    + "swift build --build-tests")
        }
        return found.path
    }

    /// Runs `herald` with `arguments`, with this process's environment minus its `HERALD_*` variables, plus
    /// `environment`.
    static func run(
        _ arguments: [String], environment: [String: String] = [:], closedStandardOutput: Bool = false
    ) throws -> ChildProcess {
        var merged = ProcessInfo.processInfo.environment
        for name in merged.keys where name.hasPrefix("HERALD_") { merged[name] = nil }
        merged.merge(environment) { $1 }
        return try ChildProcess(
            executable: try executable(), arguments: arguments, environment: merged,
            closedStandardOutput: closedStandardOutput)
    }

    /// Starts `herald serve` on 127.0.0.1 and a free port, and waits (at most 60 s) until it listens.
    init(_ arguments: [String], environment: [String: String] = [:]) async throws {
        let child = try Self.run(
            ["serve", "--host", "127.0.0.1", "--port", "0"] + arguments, environment: environment)
        self.child = child
        let lines = child.errorLines
        let seen = Collected()
        let port = try? await withDeadline(.seconds(60), "herald serve listening") { () -> Int? in
            for await line in lines {
                await seen.append(line)
                if let range = line.range(of: "listening on 127.0.0.1:"), let port = Int(line[range.upperBound...]) {
                    return port
                }
            }
            return nil
        }
        guard let port = port ?? nil else {
            Glibc.kill(child.pid, SIGKILL)
            throw ChildProcess.Failure(
                description: "herald serve did not start listening; its output:\n"
                    + (await seen.lines).joined(separator: "\n"))
        }
        self.port = port
        // Keep reading standard error, so that a chatty server never blocks on a full pipe.
        Task.detached {
            for await _ in lines {}
        }
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Sends `signal` and waits, up to `timeout`, for the process to exit; returns its exit status.
    func stop(signal: Int32 = SIGTERM, timeout: Duration = .seconds(20)) async throws -> Int32 {
        Glibc.kill(child.pid, signal)
        return try await child.waitForExit(timeout: timeout)
    }

    /// Kills the process (SIGKILL), as a test's cleanup.
    func killNow() {
        Glibc.kill(child.pid, SIGKILL)
    }
}
