/// An error about one event of a batch: which one (0-based) and what was wrong with it.
public struct EventBatchError: Error, CustomStringConvertible {
    /// The position of the offending event in the batch.
    public var index: Int
    /// What was wrong with it.
    public var underlying: any Error

    /// Creates an error for the event at `index`.
    public init(index: Int, underlying: any Error) {
        self.index = index
        self.underlying = underlying
    }

    public var description: String {
        "event at index \(index) of the batch: \(underlying); nothing of the batch was published"
    }
}
