/// One page of a read: the events found and where the next page starts.
public struct EventPage: Sendable, Hashable {
    /// The events, in sequence order.
    public var events: [StoredEvent]
    /// Pass this as `after` to read the next page. It can be past the last event returned when the
    /// filter skipped events, so that the next read does not scan them again.
    public var nextAfter: Int64

    /// Creates a page.
    public init(events: [StoredEvent], nextAfter: Int64) {
        self.events = events
        self.nextAfter = nextAfter
    }
}
