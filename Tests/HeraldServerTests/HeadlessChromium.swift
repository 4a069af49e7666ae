import Foundation
import HeraldTesting

#if canImport(Glibc)
    import Glibc
#endif

/// A headless Chromium started for one test: its process, its throwaway profile and its DevTools endpoint.
///
/// Call ``stop()`` when done, also on failure: it ends the browser and deletes the profile.
final class HeadlessChromium {
    /// Why the browser could not be started.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The browser to run: `HERALD_CHROMIUM`, else `/usr/bin/chromium`; `nil` when that is not an executable.
    static var executable: String? {
        let path = ProcessInfo.processInfo.environment["HERALD_CHROMIUM"] ?? "/usr/bin/chromium"
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    /// Whether a missing browser fails the tests that need one (`HERALD_REQUIRE_CHROMIUM=1`, which
    /// `scripts/test` sets) instead of skipping them.
    static var isRequired: Bool { ProcessInfo.processInfo.environment["HERALD_REQUIRE_CHROMIUM"] == "1" }

    /// Whether the browser tests run: there is a browser, or one is required (and its absence fails them).
    static var testsShouldRun: Bool { executable != nil || isRequired }

    /// The process id, for ending the browser from another task.
    let processIdentifier: Int32
    /// The browser's DevTools WebSocket, `ws://127.0.0.1:PORT/devtools/browser/ID`.
    private(set) var devToolsURL = ""

    private let process: Process
    private let profile: URL

    private init(process: Process, profile: URL) {
        self.process = process
        self.processIdentifier = process.processIdentifier
        self.profile = profile
    }

    /// Starts the browser with DevTools on a free loopback port and waits, up to `timeout`, until it says
    /// which port that is.
    static func launch(windowWidth: Int = 1360, windowHeight: Int = 940, timeout: Duration = testHangLimit)
        async throws -> HeadlessChromium
    {
        guard let executable else {
            let path = ProcessInfo.processInfo.environment["HERALD_CHROMIUM"] ?? "/usr/bin/chromium"
            throw Failure(
                description: "no Chromium at \(path): install it (apt-get install -y chromium) or set HERALD_CHROMIUM")
        }
        let profile = FileManager.default.temporaryDirectory
            .appendingPathComponent("herald-chromium-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        let logURL = profile.appendingPathComponent("chromium.log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let log = try FileHandle(forWritingTo: logURL)
        defer { try? log.close() }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            // The WebSocket client sends this Origin; DevTools refuses connections from origins not listed.
            "--headless=new", "--no-sandbox", "--remote-debugging-port=0", "--remote-allow-origins=ws://127.0.0.1",
            "--user-data-dir=\(profile.path)", "--no-first-run", "--no-default-browser-check", "--disable-gpu",
            "--disable-dev-shm-usage", "--disable-extensions", "--disable-background-networking",
            "--window-size=\(windowWidth),\(windowHeight)", "about:blank",
        ]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = log
        process.standardError = log
        do {
            try process.run()
        } catch {
            try? FileManager.default.removeItem(at: profile)
            throw Failure(description: "cannot start \(executable): \(error)")
        }
        let chromium = HeadlessChromium(process: process, profile: profile)
        do {
            chromium.devToolsURL = try await chromium.waitForDevTools(timeout: timeout)
        } catch {
            await chromium.stop()
            throw error
        }
        return chromium
    }

    /// Waits until Chromium writes `DevToolsActivePort` (the port, then the browser's DevTools path) into
    /// its profile, and answers the WebSocket address made of them.
    private func waitForDevTools(timeout: Duration) async throws -> String {
        let portFile = profile.appendingPathComponent("DevToolsActivePort")
        let deadline = ContinuousClock.now + timeout
        while true {
            if let text = try? String(contentsOf: portFile, encoding: .utf8) {
                let lines = text.split(separator: "\n")
                if lines.count >= 2, let port = Int(lines[0]) {
                    return "ws://127.0.0.1:\(port)\(lines[1])"
                }
            }
            guard process.isRunning else {
                throw Failure(
                    description: "Chromium exited with status \(process.terminationStatus) before listening: "
                        + logTail())
            }
            guard ContinuousClock.now < deadline else {
                throw Failure(description: "Chromium did not open DevTools within \(timeout): \(logTail())")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// The end of Chromium's own log, for error messages.
    func logTail() -> String {
        let text = (try? String(contentsOf: profile.appendingPathComponent("chromium.log"), encoding: .utf8)) ?? ""
        return String(text.suffix(2000))
    }

    /// Ends the browser (SIGTERM, then SIGKILL after 5 s) and deletes its profile. Safe to call twice.
    ///
    /// It waits with `Task.sleep`, never blocking a thread: on two cores the cooperative pool has two threads,
    /// and a blocked one starves the other tests running beside this one.
    func stop() async {
        if process.isRunning {
            process.terminate()
            let deadline = ContinuousClock.now + .seconds(5)
            while process.isRunning && ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(10))
            }
            if process.isRunning {
                kill(processIdentifier, SIGKILL)
            }
            while process.isRunning {
                try? await Task.sleep(for: .milliseconds(10))
            }
        }
        try? FileManager.default.removeItem(at: profile)
    }
}
