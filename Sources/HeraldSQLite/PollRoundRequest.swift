import Foundation
import Herald

/// One round of a poll, waiting in the store's group-commit queue: the acknowledgements it carries and the
/// deliveries it asks for. Concurrent polls commit their acknowledgements together, with one sync to the
/// disk, as concurrent appends do.
struct PollRoundRequest: GroupCommitRequest {
    let group: String
    let max: Int
    let acknowledging: Set<String>
    let continuation: CheckedContinuation<PollRound, any Error>

    /// The events the round may lease.
    var weight: Int { max }
}

/// What one round of a poll did: the acknowledgements that were current, the deliveries it leased, when
/// it leased none the next time on the store's clock at which one may come due, and whether the log holds
/// more for the group beyond what it read.
struct PollRound: Sendable {
    /// A first delivery of an event the round leased from the log: the poll reads the event after the round,
    /// outside the write connection.
    struct Leased: Sendable {
        let id: String
        let sequence: Int64
    }

    var acknowledged: Set<String>
    /// Deliveries of rows (redeliveries, events held back behind their key), with their events.
    var deliveries: [Delivery]
    /// Events leased from the log, in sequence order, to read.
    var leasedFromLog: [Leased]
    var nextDue: Date? = nil
    var more: Bool
}
