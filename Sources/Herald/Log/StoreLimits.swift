/// The limits every store puts on a call's arguments, and the messages that say how to stay within them.
package enum StoreLimits {
    /// The most events one read (or dead-letter listing) returns.
    package static let maximumReadLimit = 10_000
    /// The most deliveries one poll leases.
    package static let maximumPollCount = 1_000

    /// Checks a poll's `max`.
    package static func checkPoll(max: Int) throws(EventLogError) {
        guard (1...maximumPollCount).contains(max) else {
            throw EventLogError(
                .invalidArgument, "poll max must be between 1 and \(maximumPollCount), got \(max); poll again for more")
        }
    }

    /// Checks the `limit` of a read; `operation` names it ("read", "dead letter").
    package static func checkRead(limit: Int, of operation: String) throws(EventLogError) {
        guard (1...maximumReadLimit).contains(limit) else {
            throw EventLogError(
                .invalidArgument,
                "\(operation) limit must be between 1 and \(maximumReadLimit), got \(limit); read in pages")
        }
    }

    /// Checks a nack's redelivery `delay`.
    package static func checkNack(delay: Duration) throws(EventLogError) {
        guard delay >= .zero else {
            throw EventLogError(.invalidArgument, "nack delay must not be negative, got \(delay)")
        }
    }
}
