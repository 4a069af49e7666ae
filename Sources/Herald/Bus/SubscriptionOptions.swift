/// How one subscription buffers and handles events.
public struct SubscriptionOptions: Sendable {
    /// A name for logs, metrics and errors; defaults to `subscription-N`.
    public var name: String?
    /// How many events may wait in the buffer before ``backpressure`` applies. The handler loop may hold
    /// one more batch it has already taken from the buffer, so at most twice this many events are in memory.
    public var bufferCapacity: Int
    /// What happens when the buffer is full.
    public var backpressure: BackpressurePolicy
    /// How many handler calls may run at once. Events with the same `partitionkey` always run one at a
    /// time, in publish order; with 1 every event runs in publish order.
    public var concurrency: Int

    /// Creates options; the defaults are a buffer of 1,024 events, ``BackpressurePolicy/suspend`` and
    /// one handler call at a time.
    public init(
        name: String? = nil,
        bufferCapacity: Int = 1024,
        backpressure: BackpressurePolicy = .suspend,
        concurrency: Int = 1
    ) {
        self.name = name
        self.bufferCapacity = bufferCapacity
        self.backpressure = backpressure
        self.concurrency = concurrency
    }

    func validated() throws -> SubscriptionOptions {
        guard bufferCapacity >= 1 else {
            throw EventBusError(
                .invalidOptions,
                "bufferCapacity must be at least 1, got \(bufferCapacity); use .dropNewest to keep no backlog"
            )
        }
        guard concurrency >= 1 else {
            throw EventBusError(.invalidOptions, "concurrency must be at least 1, got \(concurrency)")
        }
        return self
    }
}
