import Foundation

/// The deliveries of one consumer group that are out with consumers, for a store that keeps its leases in
/// memory because one process owns it (SQLite): leases are soft state, which a restart ends, so they need
/// never be written to disk.
///
/// A pure value: every change takes the time as an argument, so it is tested without waiting.
package struct GroupLeases: Sendable {
    /// One delivery out with a consumer.
    package struct Lease: Sendable, Equatable {
        /// The event's sequence.
        package var sequence: Int64
        /// Which attempt this delivery is, from 1.
        package var attempt: Int
        /// When the lease runs out.
        package var until: Date
        /// The event's partition key, which an ordered group keeps to one delivery at a time.
        package var partitionKey: String?
        /// Whether the store has a row of its own for the event (a redelivery, or an event an ordered group
        /// held back); otherwise only the log has it.
        package var hasRow: Bool

        package init(sequence: Int64, attempt: Int, until: Date, partitionKey: String?, hasRow: Bool) {
            self.sequence = sequence
            self.attempt = attempt
            self.until = until
            self.partitionKey = partitionKey
            self.hasRow = hasRow
        }
    }

    /// The leases by delivery id.
    package private(set) var byID: [String: Lease] = [:]
    /// How many leases each partition key has.
    private var keys: [String: Int] = [:]
    /// No lease runs out before this time; `nil` when there are none. Kept by ``add(_:id:)`` and made exact
    /// again by ``expire(at:)``, so that an ack never has to look through the others.
    package private(set) var earliestEnd: Date?

    package init() {}

    /// How many leases there are, run out or not.
    package var count: Int { byID.count }

    /// Adds a lease under `id`.
    package mutating func add(_ lease: Lease, id: String) {
        byID[id] = lease
        if let key = lease.partitionKey { keys[key, default: 0] += 1 }
        earliestEnd = min(earliestEnd ?? lease.until, lease.until)
    }

    /// Removes and returns the lease of `id` if it is current at `now`; a lease that ran out stays, for
    /// ``expire(at:)`` to end.
    package mutating func settle(_ id: String, at now: Date) -> Lease? {
        guard let lease = byID[id], lease.until > now else { return nil }
        remove(id)
        return lease
    }

    /// Removes and returns the leases that ran out at or before `now`, in order of sequence.
    package mutating func expire(at now: Date) -> [Lease] {
        guard let end = earliestEnd, end <= now else { return [] }
        let expired = byID.filter { $0.value.until <= now }
        for id in expired.keys { remove(id) }
        earliestEnd = byID.values.map(\.until).min()
        return expired.values.sorted { $0.sequence < $1.sequence }
    }

    /// Removes every lease.
    package mutating func removeAll() {
        self = GroupLeases()
    }

    /// Whether an event with this partition key is out with a consumer.
    package func holds(partitionKey: String) -> Bool {
        keys[partitionKey] != nil
    }

    /// The partition keys out with consumers.
    package var partitionKeys: Dictionary<String, Int>.Keys { keys.keys }

    /// The sequences of the leased events that have no row of their own, in order.
    package var sequencesWithoutRows: [Int64] {
        byID.values.filter { !$0.hasRow }.map(\.sequence).sorted()
    }

    /// How many leases are current at `now`.
    package func current(at now: Date) -> Int {
        byID.values.count { $0.until > now }
    }

    /// The leases that ran out at or before `now` and have `attempt` below `maxAttempts` (their events wait
    /// for redelivery) and those at or above it (their events are dead letters), as ``expire(at:)`` will find.
    package func ranOut(at now: Date, maxAttempts: Int) -> (waiting: Int, dead: Int) {
        let ended = byID.values.filter { $0.until <= now }
        let dead = ended.count { $0.attempt >= maxAttempts }
        return (ended.count - dead, dead)
    }

    private mutating func remove(_ id: String) {
        guard let lease = byID.removeValue(forKey: id) else { return }
        if let key = lease.partitionKey {
            let remaining = (keys[key] ?? 1) - 1
            keys[key] = remaining > 0 ? remaining : nil
        }
        if byID.isEmpty { earliestEnd = nil }
    }
}
