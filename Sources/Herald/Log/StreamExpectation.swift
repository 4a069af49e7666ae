/// Optimistic concurrency for event sourcing: append to a stream only if it is at the expected version.
///
/// A stream is the set of stored events whose `subject` is the stream's name (for example `order-42`);
/// its version is how many events it holds. Every event of a batch appended with an expectation must
/// have that subject.
public struct StreamExpectation: Sendable, Hashable {
    /// The stream: the `subject` of its events.
    public var stream: String
    /// The version the stream must be at: 0 for a stream that has no events yet.
    public var version: Int

    /// Expects `stream` to hold exactly `version` events.
    public init(stream: String, version: Int) {
        self.stream = stream
        self.version = version
    }

    /// Expects `stream` to have no events yet.
    public static func noStream(_ stream: String) -> StreamExpectation {
        StreamExpectation(stream: stream, version: 0)
    }
}
