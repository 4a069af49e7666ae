import Foundation
import PostgresNIO

/// The acknowledgement of a group's deliveries, of rows and of batch leases: it deletes the current
/// deliveries among the ids and answers their ids and whether the group is ordered, in one row; in an ordered
/// group it notifies other nodes' pollers (an ack then unblocks the next event of a key). It runs as a routine
/// of the schema (``PostgresRoutine``), planned once per connection, as ``PostgresTake``, the other
/// statement of every steady poll.
struct PostgresAcknowledge: Sendable {
    /// The acknowledged ids, whether the group is ordered (`NULL` when none was), and how many
    /// notifications were sent (0 or 1).
    typealias Row = ([String], Bool?, Int64)

    /// The types of ``makeBindings()``, in order: the group's name, the sequence and the lease part of each
    /// delivery id (``PostgresBatchLeases/parts(of:)``), the ids, now, and the channel to notify. A nack
    /// takes the same first six.
    static let parameterTypes = ["text", "bigint[]", "text[]", "float8", "text[]", "text"]

    /// The types of ``Row``, in order.
    static let resultTypes = ["text[]", "boolean", "bigint"]

    let group: String
    let ids: [String]
    let now: Date
    let channel: String

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(group)
        let parts = PostgresBatchLeases.parts(of: ids)
        bindings.append(parts.sequences)
        bindings.append(ids)
        bindings.append(now.timeIntervalSinceReferenceDate)
        bindings.append(parts.leases)
        bindings.append(channel)
        return bindings
    }

    static func text(_ t: PostgresTables) -> String {
        """
        WITH g AS (SELECT group_id, ordered FROM \(t.groups) WHERE name = $1),
        acked AS (
            DELETE FROM \(t.pending) AS p USING g
            WHERE p.group_id = g.group_id AND p.sequence = ANY($2) AND p.delivery_id = ANY($3) AND p.state = 1
                AND p.lease_until > $4
            RETURNING p.delivery_id, g.ordered
        ),
        \(PostgresBatchLeases.settling(
            t, group: "(SELECT group_id FROM g)", leases: "$5", sequences: "$2", now: "$4")),
        all_settled AS (
            SELECT delivery_id AS id, ordered FROM acked UNION ALL SELECT lease || sequence::text, false FROM settled
        ),
        notified AS (SELECT pg_notify($6, '') FROM acked WHERE ordered LIMIT 1)
        SELECT coalesce(array_agg(id), '{}'), bool_or(ordered), (SELECT count(*) FROM notified) FROM all_settled
        """
    }
}
