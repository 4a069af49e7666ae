import Foundation
import Testing

/// A `herald serve` child process, for tests of what only a real process shows: signals, flags and the
/// environment, the global metrics system.
final class ServeProcess: Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let process: Process
    /// The port the server listens on, read from its "listening on" log line.
    let port: Int
    private let errorLines: AsyncStream<String>
    private let exit: AsyncStream<Int32>

    /// The `herald` executable, built with the tests into the same directory as the test bundle.
    static func executable() throws -> URL {
        let candidates = [
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("herald"),
            Bundle.main.bundleURL.appendingPathComponent("herald"),
        ]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw Failure(
                description: "herald is not built next to the tests (looked at \(candidates.map(\.path))); run "
                    + "swift build --build-tests")
        }
        return found
    }

    /// Runs `herald` with `arguments` and collects its standard error, without waiting for anything.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (
        Process, AsyncStream<String>, AsyncStream<Int32>
    ) {
        let process = Process()
        process.executableURL = try executable()
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment
        for name in merged.keys where name.hasPrefix("HERALD_") { merged[name] = nil }
        merged.merge(environment) { $1 }
        process.environment = merged
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        let (lines, linesContinuation) = AsyncStream<String>.makeStream()
        let buffer = LineBuffer()
        errors.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
                linesContinuation.finish()
                return
            }
            for line in buffer.append(data) { linesContinuation.yield(line) }
        }
        let (exit, exitContinuation) = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { process in
            exitContinuation.yield(process.terminationStatus)
            exitContinuation.finish()
        }
        try process.run()
        return (process, lines, exit)
    }

    /// Starts `herald serve` on 127.0.0.1 and a free port, and waits until it listens.
    init(_ arguments: [String], environment: [String: String] = [:]) async throws {
        let (process, lines, exit) = try Self.run(
            ["serve", "--host", "127.0.0.1", "--port", "0"] + arguments, environment: environment)
        self.process = process
        self.errorLines = lines
        self.exit = exit
        var seen: [String] = []
        let deadline = ContinuousClock.now + .seconds(30)
        for await line in lines {
            seen.append(line)
            if let range = line.range(of: "listening on 127.0.0.1:"), let port = Int(line[range.upperBound...]) {
                self.port = port
                return
            }
            if ContinuousClock.now > deadline { break }
        }
        process.terminate()
        throw Failure(description: "herald serve did not start listening; its output:\n\(seen.joined(separator: "\n"))")
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Sends `signal` and waits, up to `timeout`, for the process to exit; returns its exit status.
    func stop(signal: Int32 = SIGTERM, timeout: Duration = .seconds(20)) async throws -> Int32 {
        kill(process.processIdentifier, signal)
        return try await Self.waitForExit(exit, process: process, timeout: timeout)
    }

    /// Waits for `exit` to report, killing the process if it takes longer than `timeout`.
    static func waitForExit(_ exit: AsyncStream<Int32>, process: Process, timeout: Duration) async throws -> Int32 {
        try await withThrowingTaskGroup(of: Int32?.self) { group in
            group.addTask {
                var iterator = exit.makeAsyncIterator()
                return await iterator.next()
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            guard let status = first else {
                kill(process.processIdentifier, SIGKILL)
                throw Failure(description: "herald did not exit within \(timeout)")
            }
            return status
        }
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// Splits bytes into lines as they arrive.
final class LineBuffer: @unchecked Sendable {
    // Safe: only the pipe's readability handler uses it, and FileHandle calls that handler serially.
    private var pending = Data()

    func append(_ data: Data) -> [String] {
        pending.append(data)
        var lines: [String] = []
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            lines.append(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
            pending.removeSubrange(pending.startIndex...newline)
        }
        return lines
    }
}
