import Herald
import HeraldTesting
import Logging
import Synchronization

/// Values appended from concurrent handler calls, read back by the test.
final class Recorded<Value: Sendable>: Sendable {
    private let storage = Mutex<[Value]>([])

    var values: [Value] { storage.withLock { $0 } }

    func append(_ value: Value) {
        storage.withLock { $0.append(value) }
    }
}

/// An error a test handler throws, told apart by its name.
struct HandlerFailure: Error, Equatable {
    var name = "boom"
}

extension HandlerContext {
    /// A context for calling middleware directly, logging to `logs` when given.
    static func test(
        handlerName: String = "handler",
        logs: CapturedLogs? = nil,
        publisher: EventRecorder = EventRecorder()
    ) -> HandlerContext {
        let logger =
            if let logs {
                Logger(label: "test") { _ in CapturingLogHandler(logs: logs) }
            } else {
                Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
            }
        return HandlerContext(handlerName: handlerName, logger: logger, publisher: publisher)
    }
}

extension Event {
    /// A small event for middleware tests.
    static func test(id: String = "e1", source: String = "/test") -> Event {
        Event(id: id, source: source, type: "test.happened")
    }
}
