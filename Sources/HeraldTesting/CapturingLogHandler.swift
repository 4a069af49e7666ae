import Logging
import Synchronization

/// The log records a ``CapturingLogHandler`` received, for tests to assert on.
public final class CapturedLogs: Sendable {
    /// One record, with the handler's metadata merged into the record's own.
    public struct Record: Sendable {
        /// The record's level.
        public var level: Logger.Level
        /// The message as text.
        public var message: String
        /// The handler's and the record's metadata, the record's winning.
        public var metadata: Logger.Metadata
    }

    private let storage = Mutex<[Record]>([])

    /// Creates an empty log.
    public init() {}

    /// Every record so far, in the order logged.
    public var records: [Record] { storage.withLock { $0 } }

    fileprivate func append(_ record: Record) {
        storage.withLock { $0.append(record) }
    }
}

/// A log handler that keeps every record at every level in ``CapturedLogs``:
/// `Logger(label: "test") { _ in CapturingLogHandler(logs: logs) }`.
public struct CapturingLogHandler: LogHandler {
    /// Where records go.
    public let logs: CapturedLogs
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace

    /// Creates a handler writing to `logs`.
    public init(logs: CapturedLogs) {
        self.logs = logs
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        logs.append(.init(level: event.level, message: event.message.description, metadata: merged))
    }
}
