/// The events of one append call and its stream expectation, as durable stores queue them for a group
/// commit.
package struct AppendBatch: Sendable {
    package var events: [Event]
    package var expectation: StreamExpectation?

    /// Creates a batch.
    package init(events: [Event], expectation: StreamExpectation?) {
        self.events = events
        self.expectation = expectation
    }

    /// Checks a batch before anything is written: every event valid, every event of a stream expectation
    /// in that stream.
    package static func validate(_ events: [Event], expecting expectation: StreamExpectation?) throws {
        for (index, event) in events.enumerated() {
            do {
                try event.validate()
            } catch {
                throw EventBatchError(index: index, underlying: error)
            }
        }
        if let expectation {
            if let index = events.firstIndex(where: { $0.subject != expectation.stream }) {
                throw EventLogError(
                    .invalidArgument,
                    "event at index \(index) has subject '\(events[index].subject ?? "<none>")', but the batch "
                        + "expects stream '\(expectation.stream)'; every event appended with a stream expectation "
                        + "must have the stream's name as its subject"
                )
            }
            guard expectation.version >= 0 else {
                throw EventLogError(
                    .invalidArgument,
                    "expected version \(expectation.version) of stream '\(expectation.stream)' is negative; "
                        + "use 0 for a new stream"
                )
            }
        }
    }
}
