import Foundation
import HeraldTesting
import HummingbirdWSClient
import Logging

/// One browser tab driven over the Chrome DevTools Protocol, through the browser's DevTools WebSocket.
///
/// Commands are sent one at a time and their answers read in order; the protocol's notifications that arrive
/// in between are kept when they report a script error (``scriptErrors``) and dropped otherwise.
final class DevToolsPage {
    /// A command the browser refused or that failed.
    struct CommandError: Error, CustomStringConvertible {
        var description: String
    }

    private var inbound: WebSocketInboundMessageStream.AsyncIterator
    private let outbound: WebSocketOutboundWriter
    private var lastCommandID = 0
    private var sessionID: String?
    /// Uncaught exceptions and error-level log entries from the page's scripts and its security policy.
    private(set) var scriptErrors: [String] = []

    private init(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) {
        self.inbound = inbound.messages(maxSize: 64 << 20).makeAsyncIterator()
        self.outbound = outbound
    }

    /// Connects to the browser at `devToolsURL`, opens a tab on `url` and runs `body` with it; the
    /// connection closes when `body` returns.
    static func open(
        _ url: String,
        devToolsURL: String,
        _ body: @escaping @Sendable (DevToolsPage) async throws -> Void
    ) async throws {
        let configuration = WebSocketClientConfiguration(maxFrameSize: 64 << 20)
        try await WebSocketClient.connect(
            url: devToolsURL, configuration: configuration, logger: Logger(label: "herald.tests.devtools")
        ) { inbound, outbound, _ in
            let page = DevToolsPage(inbound: inbound, outbound: outbound)
            let target = try await page.send("Target.createTarget", ["url": "about:blank"])
            guard let targetID = target["targetId"] as? String else {
                throw CommandError(description: "Target.createTarget answered no targetId: \(target)")
            }
            let attached = try await page.send("Target.attachToTarget", ["targetId": targetID, "flatten": true])
            page.sessionID = attached["sessionId"] as? String
            _ = try await page.send("Runtime.enable")
            _ = try await page.send("Log.enable")
            _ = try await page.send("Page.navigate", ["url": url])
            try await body(page)
        }
    }

    /// Sends a command and answers its result, failing with the browser's error message.
    @discardableResult
    func send(_ method: String, _ parameters: [String: Any] = [:]) async throws -> [String: Any] {
        lastCommandID += 1
        let id = lastCommandID
        var command: [String: Any] = ["id": id, "method": method, "params": parameters]
        if let sessionID { command["sessionId"] = sessionID }
        let text = String(decoding: try JSONSerialization.data(withJSONObject: command), as: UTF8.self)
        try await outbound.write(.text(text))
        while let message = try await inbound.next() {
            guard case .text(let text) = message,
                let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
            else { continue }
            if object["id"] as? Int == id {
                if let error = object["error"] as? [String: Any] {
                    throw CommandError(description: "\(method) failed: \(error["message"] ?? error)")
                }
                return object["result"] as? [String: Any] ?? [:]
            }
            note(object)
        }
        throw CommandError(description: "the browser closed the DevTools connection during \(method)")
    }

    /// Evaluates `expression` in the page and answers its value (awaiting it when it is a promise).
    @discardableResult
    func evaluate(_ expression: String) async throws -> Any? {
        let answer = try await send(
            "Runtime.evaluate", ["expression": expression, "returnByValue": true, "awaitPromise": true])
        if let exception = answer["exceptionDetails"] as? [String: Any] {
            let description = (exception["exception"] as? [String: Any])?["description"] ?? exception["text"] ?? ""
            throw CommandError(description: "evaluating \(expression) threw: \(description)")
        }
        return (answer["result"] as? [String: Any])?["value"]
    }

    /// Evaluates `condition` until it is `true` or `limit` passes; answers whether it became true. A
    /// condition that throws (the page is still loading) counts as false.
    func waitUntil(_ condition: String, within limit: Duration = testHangLimit) async throws -> Bool {
        let deadline = ContinuousClock.now + limit
        while true {
            if (try? await evaluate(condition)) as? Bool == true { return true }
            guard ContinuousClock.now < deadline else { return false }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// A PNG of the visible page.
    func screenshot() async throws -> Data {
        let answer = try await send("Page.captureScreenshot", ["format": "png"])
        guard let base64 = answer["data"] as? String, let png = Data(base64Encoded: base64) else {
            throw CommandError(description: "Page.captureScreenshot answered no PNG")
        }
        return png
    }

    /// Keeps the notifications that report a script error.
    private func note(_ notification: [String: Any]) {
        let parameters = notification["params"] as? [String: Any] ?? [:]
        switch notification["method"] as? String {
        case "Runtime.exceptionThrown":
            let details = parameters["exceptionDetails"] as? [String: Any] ?? [:]
            let exception = (details["exception"] as? [String: Any])?["description"] ?? details["text"] ?? ""
            scriptErrors.append("exception: \(exception)")
        case "Log.entryAdded":
            let entry = parameters["entry"] as? [String: Any] ?? [:]
            let source = entry["source"] as? String ?? ""
            if entry["level"] as? String == "error", ["javascript", "security", "violation"].contains(source) {
                scriptErrors.append("\(source): \(entry["text"] ?? "")")
            }
        default:
            break
        }
    }
}
