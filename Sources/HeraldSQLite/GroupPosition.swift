import Foundation
import Herald

/// Where one consumer group stands, as the SQLite store keeps it between transactions: how far it has read
/// the log and which deliveries are out with consumers.
///
/// A group is a cursor over the log, not a copy of it. An event the group receives has a row in
/// `group_pending` only when it needs one: waiting for a redelivery, held back behind its partition key, or
/// dead. Leases live here, in memory (one process owns the file): they are soft state, so a poll writes
/// nothing for the events it hands out, and an ack writes one row of `consumer_groups`.
///
/// What is durable, in `consumer_groups`, and written with every ack and nack:
/// - `cursor`, the floor: every event of the group at or below it is acknowledged or has a row;
/// - `taken`: above the floor and up to `taken`, every event is acknowledged or has a row, except
/// - `holes`: the events then out with consumers that have no row (see ``encode(holes:)``).
///
/// When the store opens, the holes become rows waiting for redelivery (see `SQLiteEventStore.recoverGroups`),
/// and reading goes on after `taken`.
struct GroupPosition: Sendable {
    /// When the group's earliest row waiting for redelivery comes due, as far as this process knows.
    enum RowsDue: Sendable, Equatable {
        /// Not known: look.
        case unknown
        /// No row waits.
        case none
        /// The earliest waiting row is deliverable from this time.
        case at(Date)
    }

    /// Every event of the group at or below this sequence is acknowledged or has a row.
    var floor: Int64
    /// The highest sequence read from the log; every event above it is new to the group (or dead, after a
    /// seek back).
    var taken: Int64
    var leases = GroupLeases()
    var rowsDue = RowsDue.unknown

    /// The text of `consumer_groups.holes` for these sequences, in increasing order: the first, then each
    /// one's distance from the one before, comma-separated, so that a batch of consecutive events is short.
    static func encode(holes: [Int64]) -> String {
        var previous: Int64 = 0
        return holes.map { sequence in
            defer { previous = sequence }
            return String(sequence - previous)
        }.joined(separator: ",")
    }

    /// The sequences of a `consumer_groups.holes` text; `nil` when it is not one ``encode(holes:)`` writes.
    static func decode(holes text: String) -> [Int64]? {
        guard !text.isEmpty else { return [] }
        var sequences: [Int64] = []
        var previous: Int64 = 0
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let step = Int64(part), step > 0 else { return nil }
            let (sequence, overflow) = previous.addingReportingOverflow(step)
            guard !overflow else { return nil }
            sequences.append(sequence)
            previous = sequence
        }
        return sequences
    }
}
