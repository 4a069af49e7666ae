/// What the server did with one published event.
public struct PublishResult: Sendable, Hashable {
    /// The event's `id`.
    public var id: String
    /// The event's `source`.
    public var source: String
    /// The event's sequence in the log; `nil` for an event scheduled for later (its `deliverat` is in the
    /// future), which gets one when it comes due.
    public var sequence: Int64?
    /// Whether an event with the same (source, id) was stored before, so this one was not stored again;
    /// ``sequence`` is then the original's.
    public var isDuplicate: Bool
    /// Whether the event is scheduled for later delivery.
    public var isScheduled: Bool

    /// Creates a result.
    public init(id: String, source: String, sequence: Int64?, isDuplicate: Bool, isScheduled: Bool = false) {
        self.id = id
        self.source = source
        self.sequence = sequence
        self.isDuplicate = isDuplicate
        self.isScheduled = isScheduled
    }
}
