/// Consumer groups over an ``EventLog``: each group receives every event of its topic, shared between
/// its consumers, at least once.
///
/// Semantics every implementation keeps (the conformance suite in `HeraldTesting` checks them):
/// - Every group whose topic matches an event receives it; within a group one consumer at a time holds
///   it (a lease of ``ConsumerGroupConfiguration/ackTimeout``).
/// - ``ack(group:deliveryIDs:)`` removes a delivery for good. ``nack(group:deliveryIDs:delay:error:)``
///   redelivers after `delay`. A lease that runs out is redelivered. A delivery id from an earlier attempt
///   no longer acknowledges anything.
/// - After ``ConsumerGroupConfiguration/maxAttempts`` deliveries, a failed or expired event moves to the
///   group's dead letters with the last error; ``requeueDeadLetters(group:sequences:)`` makes them
///   deliverable again with fresh attempts.
/// - Deliveries come in sequence order, except that redeliveries come when due. In ordered mode, events
///   with the same `partitionkey` are never in flight at once and go in sequence order; an unacknowledged
///   event holds back only the later events of its own key.
/// - Group state survives restarts of a durable backend; acknowledged deliveries stay acknowledged.
public protocol ConsumerGroupStore: Sendable {
    /// Creates a group; returns `false` when one with the same name and settings exists already.
    ///
    /// - Throws: ``EventLogError`` with ``EventLogError/Code/groupConflict`` when it exists with other
    ///   settings, ``EventLogError/Code/invalidArgument`` for invalid settings.
    func createGroup(_ configuration: ConsumerGroupConfiguration) async throws -> Bool

    /// Deletes a group and its state; returns whether it existed.
    func deleteGroup(named name: String) async throws -> Bool

    /// A group's settings and counts, or `nil` when there is none by that name.
    func groupInfo(named name: String) async throws -> ConsumerGroupInfo?

    /// Every group, sorted by name.
    func groups() async throws -> [ConsumerGroupInfo]

    /// Leases up to `max` deliveries, waiting up to `wait` for the first one; returns as soon as at least
    /// one is available, or an empty array when the wait ends.
    func poll(group: String, max: Int, wait: Duration) async throws -> [Delivery]

    /// Acknowledges `acknowledging`, as ``ackReturningIDs(group:deliveryIDs:)`` does, then leases as
    /// ``poll(group:max:wait:)`` does: a steady consumer settles one batch and takes the next in one round
    /// trip. The acknowledgements are durable when this returns, also when the poll then waits; a durable
    /// backend makes at most one durable commit for both, and a poll without acknowledgements does not
    /// wait for the disk (leases are soft state: a crash may only deliver their events again).
    func poll(group: String, max: Int, wait: Duration, acknowledging: [String]) async throws -> PollResult

    /// Moves the group to `position` (as if created there now) and ends its deliveries: leased ones (their
    /// ids no longer acknowledge anything) and those waiting for a redelivery. Events after the new position
    /// are delivered again, or for the first time; before it, skipped. Dead letters stay where they are (an
    /// event among them is not delivered again until requeued). Returns the sequence the group now reads
    /// after.
    ///
    /// - Throws: ``EventLogError/Code/groupNotFound``.
    func seek(group: String, to position: ConsumerGroupConfiguration.StartPosition) async throws -> Int64

    /// Acknowledges deliveries; returns how many were current (ids of expired or unknown deliveries are
    /// ignored).
    func ack(group: String, deliveryIDs: [String]) async throws -> Int

    /// Negatively acknowledges deliveries: each is redelivered after `delay`, or dead-lettered with
    /// `error` when it was the last attempt. Returns how many were current.
    func nack(group: String, deliveryIDs: [String], delay: Duration, error: String?) async throws -> Int

    /// The group's dead letters, oldest sequence first, at most `limit`.
    func deadLetters(group: String, limit: Int) async throws -> [DeadLetteredEvent]

    /// Makes dead letters deliverable again with fresh attempts: those with these sequences, or all when
    /// `sequences` is `nil`. Returns how many.
    func requeueDeadLetters(group: String, sequences: [Int64]?) async throws -> Int

    /// Acknowledges deliveries, like ``ack(group:deliveryIDs:)``, and says which: returns the ids among
    /// `deliveryIDs` that were current and are now acknowledged. The others named no current delivery:
    /// unknown, expired, already acknowledged or negatively acknowledged, or from an earlier attempt.
    func ackReturningIDs(group: String, deliveryIDs: [String]) async throws -> Set<String>

    /// Negatively acknowledges deliveries, like ``nack(group:deliveryIDs:delay:error:)``, and says which:
    /// returns the ids among `deliveryIDs` that were current.
    func nackReturningIDs(group: String, deliveryIDs: [String], delay: Duration, error: String?) async throws
        -> Set<String>
}

extension ConsumerGroupStore {
    /// Acknowledges, then polls, as two operations; durable backends override it with one commit. See
    /// ``poll(group:max:wait:acknowledging:)``.
    public func poll(group: String, max: Int, wait: Duration, acknowledging: [String]) async throws -> PollResult {
        let acknowledged =
            acknowledging.isEmpty ? [] : try await ackReturningIDs(group: group, deliveryIDs: acknowledging)
        return PollResult(
            acknowledged: acknowledged, deliveries: try await poll(group: group, max: max, wait: wait))
    }

    /// Acknowledges the deliveries one at a time to tell which were current; backends override it with
    /// one operation. See ``ackReturningIDs(group:deliveryIDs:)``.
    public func ackReturningIDs(group: String, deliveryIDs: [String]) async throws -> Set<String> {
        var acknowledged: Set<String> = []
        for id in deliveryIDs where !acknowledged.contains(id) {
            if try await ack(group: group, deliveryIDs: [id]) > 0 { acknowledged.insert(id) }
        }
        return acknowledged
    }

    /// Negatively acknowledges the deliveries one at a time to tell which were current; backends override
    /// it with one operation. See ``nackReturningIDs(group:deliveryIDs:delay:error:)``.
    public func nackReturningIDs(group: String, deliveryIDs: [String], delay: Duration, error: String?) async throws
        -> Set<String>
    {
        var failed: Set<String> = []
        for id in deliveryIDs where !failed.contains(id) {
            if try await nack(group: group, deliveryIDs: [id], delay: delay, error: error) > 0 { failed.insert(id) }
        }
        return failed
    }
}
