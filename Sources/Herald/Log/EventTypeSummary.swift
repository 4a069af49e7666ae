/// What the log holds of one event type: how many events and the newest one's sequence.
///
/// ``EventLog/eventTypes()`` returns one per type stored; events removed by retention no longer count.
public struct EventTypeSummary: Sendable, Hashable {
    /// The CloudEvents `type`.
    public var type: String
    /// How many stored events have this type.
    public var count: Int
    /// The highest sequence of an event of this type.
    public var lastSequence: Int64

    /// Creates a summary.
    public init(type: String, count: Int, lastSequence: Int64) {
        self.type = type
        self.count = count
        self.lastSequence = lastSequence
    }
}
