import Foundation

/// Which stored events retention deletes, decided the same way by every backend that keeps groups as rows: the
/// backend reads its consumer groups, pending deliveries and events, and writes the `DELETE`; this type keeps the
/// books in between.
///
/// An event is deleted when at least one policy matches its type and every matching policy lets it go (older than
/// its `maxAge`, or beyond its `maxCount` newest), unless a consumer group has not acknowledged it and some matching
/// policy keeps unacknowledged events. A group whose stored topic no longer parses fails closed: it protects every
/// event after its cursor, whatever the type, and is listed in ``damagedGroupTopics`` for the backend to log.
package struct RetentionSelection {
    private let policies: [RetentionPolicy]
    private let cutoffs: [Date?]
    /// Each group's pattern (`nil` when its stored topic does not parse) and cursor.
    private let groups: [(topic: TopicPattern?, cursor: Int64)]
    private let pending: Set<Int64>
    private var matchedCounts: [Int]
    /// The stored topics of groups that no longer parse as patterns.
    package let damagedGroupTopics: [String]

    /// Starts a selection at `now` over the groups' stored topics and cursors and the sequences with a pending
    /// delivery in any group.
    package init(
        policies: [RetentionPolicy], now: Date, groups: [(topic: String, cursor: Int64)], pending: Set<Int64>
    ) {
        self.policies = policies
        self.cutoffs = policies.map { policy in policy.maxAge.map { now.adding(.zero - $0) } }
        let parsed = groups.map { group in (topic: try? TopicPattern(group.topic), cursor: group.cursor) }
        self.groups = parsed
        self.damagedGroupTopics = zip(groups, parsed).filter { $0.1.topic == nil }.map(\.0.topic)
        self.pending = pending
        self.matchedCounts = Array(repeating: 0, count: policies.count)
    }

    /// Whether the event at `sequence` of `type`, stored at `storedAt`, is deleted. Call it for every event,
    /// newest first, so that each policy's count of the events it matched so far decides its `maxCount`.
    package mutating func deletes(sequence: Int64, type: String, storedAt: Date) -> Bool {
        var matched = false
        var allowed = true
        var removesUnacknowledged = true
        for (index, policy) in policies.enumerated() where policy.topic.matches(type) {
            matched = true
            matchedCounts[index] += 1
            let tooOld = cutoffs[index].map { storedAt < $0 } ?? false
            let tooMany = policy.maxCount.map { matchedCounts[index] > $0 } ?? false
            if !tooOld && !tooMany { allowed = false }
            if !policy.removesUnacknowledged { removesUnacknowledged = false }
        }
        return matched && allowed && (removesUnacknowledged || !isUnacknowledged(sequence, type: type))
    }

    private func isUnacknowledged(_ sequence: Int64, type: String) -> Bool {
        pending.contains(sequence)
            || groups.contains { group in sequence > group.cursor && (group.topic?.matches(type) ?? true) }
    }
}
