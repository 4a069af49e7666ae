import Foundation
import Herald

/// One round of a poll, waiting in the store's group-commit queue: the acknowledgements it carries and the
/// deliveries it asks for. Concurrent polls and acks commit their acknowledgements together, with one sync to
/// the disk, as concurrent appends do.
struct PollRoundRequest: GroupCommitRequest {
    let group: String
    /// The most deliveries the round may lease; 0 for an ack, which only acknowledges.
    let max: Int
    let acknowledging: Set<String>
    let continuation: CheckedContinuation<PollRound, any Error>

    /// The events the round may lease and the deliveries it may settle.
    var weight: Int { max + acknowledging.count }
}

/// What one round of a poll did: the acknowledgements that were current, the deliveries it leased, when
/// it leased none the next time on the store's clock at which one may come due, and whether the log holds
/// more for the group beyond what it read.
struct PollRound: Sendable {
    var acknowledged: Set<String>
    var deliveries: [Delivery]
    var nextDue: Date? = nil
    var more: Bool
}
