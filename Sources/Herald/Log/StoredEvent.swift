/// An event as the log stores it: with the global sequence number its append was given.
public struct StoredEvent: Sendable, Hashable {
    /// The position in the log: unique, and strictly increasing in commit order.
    public var sequence: Int64
    /// The event, exactly as appended.
    public var event: Event

    /// Creates a stored event.
    public init(sequence: Int64, event: Event) {
        self.sequence = sequence
        self.event = event
    }
}
