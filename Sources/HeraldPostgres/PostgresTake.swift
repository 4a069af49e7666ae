import Foundation
import Herald
import NIOCore
import PostgresNIO

/// A poll's take from the log (``PostgresEventStore``'s consumer groups): the statement that takes up to a
/// batch of a group's events from beyond its cursor, moves the cursor and says whether leases ran out, and
/// its parameters.
///
/// The variant of a steady consumer of an unordered group (leasing and locking) runs as a routine of the
/// schema (``PostgresRoutine``), planned once per connection: planning it anew for every poll took longer
/// than running it. It takes the topic as parameters, so one text serves every group.
struct PostgresTake: Sendable {
    /// Whether a lease of the group (of a row or of a batch) ran out, to be ended by
    /// ``PostgresEventStore``'s `expireLeases`, whether the cursor is still below the head, whether rows waiting for a redelivery are due, and the leased events' sequences and records, in
    /// order: one row (none when the group is gone), which a client reads faster than a row per event. Each
    /// delivery's id is ``lease`` followed by its sequence.
    typealias Row = (Bool, Bool, Bool, [Int64], [ByteBuffer])

    /// The types of ``makeBindings()``, in order.
    static let parameterTypes = [
        "bigint", "float8", "bigint", "bigint", "bigint", "float8", "text", "text", "text", "text", "text", "text",
    ]

    /// The types of ``Row``, in order.
    static let resultTypes = ["boolean", "boolean", "boolean", "bigint[]", "bytea[]"]

    let group: PostgresGroupRecord
    let limit: Int
    /// How many events of the log the take looks at, at most (see ``firstScan(for:)``).
    let scan: Int
    let now: Date
    /// The batch lease's id, which each delivery's id starts with.
    let lease = UUID().uuidString.lowercased() + "-"

    /// The events a poll's first take looks at, at most: ten batches, and at least 1,000. A take walks the
    /// log by primary key from the cursor (a scan whose only condition is the sequence, so that no plan can
    /// choose the index on type and sort a whole topic, as one did over a freshly loaded table whose
    /// statistics were stale) and keeps the first `limit` of the group's topic among them, so its cost never
    /// depends on the backlog. A sparse topic may need more rounds to cross a long stretch of other events:
    /// each round of a poll that found none looks at ten times more, up to ``largestScan``.
    static func firstScan(for limit: Int) -> Int {
        Swift.max(limit * 10, 1_000)
    }

    /// The most events a take looks at.
    static let largestScan = 100_000

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(group.id)
        bindings.append(now.timeIntervalSinceReferenceDate)
        bindings.append(group.cursor)
        bindings.append(Int64(limit))
        bindings.append(Int64(scan))
        bindings.append(now.adding(group.configuration.ackTimeout).timeIntervalSinceReferenceDate)
        bindings.append(lease)
        bindings.append(group.configuration.name)
        let topic = PostgresTopicCondition.parameters(group.configuration.topic)
        for part in [topic.exact, topic.from, topic.below, topic.expression] { bindings.append(part) }
        return bindings
    }

    /// The statement on `t`. Leasing (an unordered group), the taken events are one batch lease, a row of
    /// `group_leases` whatever the batch's size, and come back in the same round trip; otherwise (an ordered
    /// group) each gets a waiting row of `group_pending`. A dead letter met again after a seek keeps its row
    /// and is not taken. Locking, the statement holds the group's row itself (by id and name, so that a group
    /// deleted and created again is not taken for this one: then it answers no row) and reads the cursor from
    /// it, the latest once the lock is granted, and commits on its own without waiting for the disk;
    /// otherwise the caller's transaction holds the row, and `$3` is its cursor.
    static func text(_ t: PostgresTables, leasing: Bool, locking: Bool) -> String {
        let taken =
            leasing
            ? """
            SELECT m.sequence, $7 || m.sequence::text AS delivery_id, m.event FROM matching AS m, g
            WHERE m.sequence > (SELECT coalesce(max(p.sequence), 0) FROM \(t.pending) AS p WHERE p.group_id = $1)
                OR NOT EXISTS (
                    SELECT 1 FROM \(t.pending) AS p WHERE p.group_id = $1 AND p.sequence = m.sequence)
            """
            : """
            INSERT INTO \(t.pending) (group_id, sequence, state, attempt, available_at, partition_key)
            SELECT $1, sequence, 0, 0, $2, partition_key FROM matching, g
            ON CONFLICT DO NOTHING
            RETURNING sequence, NULL::text AS delivery_id, NULL::bytea AS event
            """
        let batch =
            leasing
            ? """

            batch AS (
                INSERT INTO \(t.leases) (group_id, lease, lease_until, sequences)
                SELECT $1, $7, $6, array_agg(sequence ORDER BY sequence) FROM taken HAVING count(*) > 0
            ),
            """
            : ""
        let cursor = locking ? "(SELECT cursor FROM g)" : "$3"
        let lockedGroup =
            locking
            ? """
            g AS (
                SELECT group_id, cursor, set_config('synchronous_commit', 'off', true) AS soft, EXISTS (
                        SELECT 1 FROM \(t.pending) AS p
                        WHERE p.group_id = $1 AND p.state = 0 AND p.available_at <= $2
                    ) AS has_due
                FROM \(t.groups) WHERE group_id = $1 AND name = $8 FOR UPDATE
            ),
            """
            : "g AS (SELECT $1::bigint AS group_id, false AS has_due),"
        // The scan of the log is nested in the one statement that reads it, so it stops as soon as it has
        // `$4` of the topic's events; only when it finds fewer does the cursor move to the last event looked
        // at (the `$5`th), or to the head when the log ends first.
        return """
            WITH \(lockedGroup)
            head AS (SELECT \(PostgresLogHead.settled(t)) AS last_sequence),
            matching AS MATERIALIZED (
                SELECT e.sequence, e.partition_key, e.event FROM (
                    SELECT e.sequence, e.type, e.partition_key, e.event FROM \(t.events) AS e, head
                    WHERE e.sequence > \(cursor) AND e.sequence <= head.last_sequence ORDER BY e.sequence LIMIT $5
                ) AS e
                WHERE \(PostgresTopicCondition.parameterizedSQL(column: "e.type", first: 9))
                ORDER BY e.sequence LIMIT $4
            ),
            upto AS (
                SELECT CASE
                        WHEN (SELECT count(*) FROM matching) = $4 THEN (SELECT max(sequence) FROM matching)
                        ELSE coalesce(
                            (SELECT e.sequence FROM \(t.events) AS e
                                WHERE e.sequence > \(cursor) AND e.sequence <= head.last_sequence
                                ORDER BY e.sequence OFFSET $5 - 1 LIMIT 1),
                            greatest(head.last_sequence, \(cursor)))
                    END AS sequence,
                    head.last_sequence AS head
                FROM head, g
            ),
            taken AS MATERIALIZED (\(taken)),\(batch)
            moved AS (
                UPDATE \(t.groups) AS target SET cursor = upto.sequence FROM upto
                WHERE target.group_id = $1 AND target.cursor < upto.sequence
            ),
            flags AS (
                SELECT EXISTS (
                        SELECT 1 FROM \(t.pending) AS p
                        WHERE p.group_id = g.group_id AND p.state = 1 AND p.lease_until <= $2
                    ) OR EXISTS (
                        SELECT 1 FROM \(t.leases) AS l WHERE l.group_id = g.group_id AND l.lease_until <= $2
                    ) AS ran_out,
                    upto.sequence < upto.head AS more, g.has_due
                FROM upto, g
            ),
            leased AS (SELECT sequence, event FROM taken WHERE delivery_id IS NOT NULL)
            SELECT flags.ran_out, flags.more, flags.has_due,
                coalesce((SELECT array_agg(sequence ORDER BY sequence) FROM leased), '{}'),
                coalesce((SELECT array_agg(event ORDER BY sequence) FROM leased), '{}')
            FROM flags
            """
    }
}
