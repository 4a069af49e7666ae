import Synchronization

/// One connected stream client as the hub sees it: the bounded buffer its messages wait in, and the
/// ``StreamTermination`` that ends its stream.
final class StreamClient: Sendable {
    /// Identifies the client among the hub's.
    let id: UInt64
    /// How the client is connected.
    let transport: EventStreamTransport
    /// Where the hub puts the client's messages; holds at most the hub's buffer limit, plus one heartbeat.
    let messages: AsyncStream<StreamMessage>.Continuation
    /// Ends the client's stream.
    let termination: StreamTermination
    /// Whether a heartbeat waits in ``messages`` already, so that heartbeats never pile up in the buffer.
    private let heartbeatPending = Atomic<Bool>(false)

    init(
        id: UInt64,
        transport: EventStreamTransport,
        messages: AsyncStream<StreamMessage>.Continuation,
        termination: StreamTermination
    ) {
        self.id = id
        self.transport = transport
        self.messages = messages
        self.termination = termination
    }

    /// Queues a heartbeat unless one is queued already.
    func sendHeartbeat() {
        if !heartbeatPending.exchange(true, ordering: .acquiringAndReleasing) {
            messages.yield(.heartbeat)
        }
    }

    /// Notes that the queued heartbeat has been taken.
    func heartbeatTaken() {
        heartbeatPending.store(false, ordering: .releasing)
    }

    /// Ends the client's stream for `reason`: no more messages, and writing stops.
    func end(_ reason: StreamEndReason) {
        termination.end(reason)
        messages.finish()
    }
}
