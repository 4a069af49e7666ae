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

/// The log records a ``CapturingLogHandler`` received.
final class CapturedLogs: Sendable {
    struct Record: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: Logger.Metadata
    }

    private let storage = Mutex<[Record]>([])

    var records: [Record] { storage.withLock { $0 } }

    fileprivate func append(_ record: Record) {
        storage.withLock { $0.append(record) }
    }
}

/// A log handler that keeps every record, with the handler's metadata merged in, for assertions.
struct CapturingLogHandler: LogHandler {
    let logs: CapturedLogs
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        logs.append(.init(level: event.level, message: event.message.description, metadata: merged))
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
