/// What the log did with one appended event.
public struct AppendResult: Sendable, Hashable {
    /// What happened to the event.
    public enum Outcome: Sendable, Hashable {
        /// Stored, at this sequence.
        case stored(sequence: Int64)
        /// Not stored: an event with the same (source, id) already was, at this sequence.
        case duplicate(sequence: Int64)
        /// Stored to be delivered later: its `deliverat` is in the future. It receives a sequence, and
        /// reaches followers and consumer groups, when that time comes.
        case scheduled
        /// Not stored: an event with the same (source, id) is already scheduled for later delivery.
        case duplicateScheduled
    }

    /// The event's `id`.
    public var id: String
    /// The event's `source`.
    public var source: String
    /// What happened.
    public var outcome: Outcome

    /// Creates a result.
    public init(id: String, source: String, outcome: Outcome) {
        self.id = id
        self.source = source
        self.outcome = outcome
    }

    /// The sequence the event has in the log, if it has one yet.
    public var sequence: Int64? {
        switch outcome {
        case .stored(let sequence), .duplicate(let sequence): sequence
        case .scheduled, .duplicateScheduled: nil
        }
    }

    /// Whether the event had been appended before and was not stored again.
    public var isDuplicate: Bool {
        switch outcome {
        case .duplicate, .duplicateScheduled: true
        case .stored, .scheduled: false
        }
    }
}
