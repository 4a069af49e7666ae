/// The SQL of batch leases (`group_leases`): an unordered group leases the events a poll takes from the log as
/// one row, whose `sequences` are those not yet settled. A delivery's id is the batch's `lease` followed by its
/// sequence (`LEASE-SEQUENCE`, as the delivery ids of `group_pending` rows), so acks and nacks find the batch
/// by primary key.
///
/// Each function returns common table expressions for a statement's `WITH` list, naming its inputs by the SQL
/// that produces them (a parameter such as `$1`, or a subquery).
enum PostgresBatchLeases {
    /// Ends the group's batch leases that ran out by `now`: their sequences become `group_pending` rows that
    /// wait for attempt 2 from the end of the lease, or dead letters when `maxAttempts` is 1, with `error` as
    /// their last error; an event that retention has deleted meanwhile is dropped. Defines `requeued(state)`.
    static func expiry(
        _ t: PostgresTables,
        group: String,
        now: String,
        maxAttempts: String,
        error: String
    ) -> String {
        """
        ended AS (
            DELETE FROM \(t.leases) WHERE group_id = \(group) AND lease_until <= \(now)
            RETURNING sequences, lease_until
        ),
        requeued AS (
            INSERT INTO \(t.pending) (group_id, sequence, state, attempt, available_at, last_error, partition_key)
            SELECT \(group), e.sequence, CASE WHEN 1 >= \(maxAttempts) THEN 2 ELSE 0 END, 1, ended.lease_until,
                \(error), e.partition_key
            FROM ended CROSS JOIN LATERAL unnest(ended.sequences) AS u(sequence)
                JOIN \(t.events) AS e ON e.sequence = u.sequence
            ON CONFLICT DO NOTHING
            RETURNING state
        )
        """
    }

    /// Settles the deliveries that the group's batch leases current at `now` hold among those named by
    /// `leases` and `sequences` (parallel arrays, ``parts(of:)`` of the delivery ids): removes them from their
    /// batches, and deletes a batch left empty. Locks the batches first, so that concurrent settlements of
    /// one batch follow one another and each delivery is settled once. Defines `settled(lease, sequence)`.
    static func settling(
        _ t: PostgresTables,
        group: String,
        leases: String,
        sequences: String,
        now: String
    ) -> String {
        """
        held AS (
            SELECT l.lease, l.sequences FROM \(t.leases) AS l
            WHERE l.group_id = \(group) AND l.lease = ANY(\(leases)) AND l.lease_until > \(now)
            FOR UPDATE
        ),
        settled AS MATERIALIZED (
            SELECT held.lease, u.sequence
            FROM held CROSS JOIN LATERAL (
                    SELECT array_agg(named.sequence) AS sequences
                    FROM unnest(\(leases), \(sequences)) AS named(lease, sequence) WHERE named.lease = held.lease
                ) AS wanted
                CROSS JOIN LATERAL unnest(held.sequences) AS u(sequence)
            WHERE u.sequence = ANY(wanted.sequences)
        ),
        remaining AS (
            SELECT held.lease, cardinality(held.sequences) - (
                    SELECT count(*) FROM settled WHERE settled.lease = held.lease
                ) AS left_over
            FROM held
        ),
        emptied AS (
            DELETE FROM \(t.leases) AS l USING remaining AS r
            WHERE l.group_id = \(group) AND l.lease = r.lease AND r.left_over = 0
        ),
        shrunk AS (
            UPDATE \(t.leases) AS l SET sequences = array(
                    SELECT s FROM unnest(l.sequences) AS s
                    WHERE s NOT IN (SELECT sequence FROM settled WHERE settled.lease = l.lease) ORDER BY s
                )
            FROM remaining AS r
            WHERE l.group_id = \(group) AND l.lease = r.lease AND r.left_over > 0
                AND r.left_over < cardinality(l.sequences)
        )
        """
    }

    /// The lease part (up to and including the last `-`) and the sequence of each delivery id of that shape
    /// (`LEASE-SEQUENCE`), as parallel arrays; ids of another shape name no delivery and are left out.
    static func parts(of deliveryIDs: [String]) -> (leases: [String], sequences: [Int64]) {
        var parts: (leases: [String], sequences: [Int64]) = ([], [])
        parts.leases.reserveCapacity(deliveryIDs.count)
        parts.sequences.reserveCapacity(deliveryIDs.count)
        for id in deliveryIDs {
            let utf8 = id.utf8
            guard let dash = utf8.lastIndex(of: UInt8(ascii: "-")),
                let sequence = sequence(in: utf8[dash...].dropFirst())
            else { continue }
            parts.leases.append(String(Substring(utf8[...dash])))
            parts.sequences.append(sequence)
        }
        return parts
    }

    /// The non-negative decimal number that `digits` spell, or `nil` for anything else (or an overflow).
    private static func sequence(in digits: Substring.UTF8View) -> Int64? {
        guard !digits.isEmpty, digits.count <= 19 else { return nil }
        var value: Int64 = 0
        for byte in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            let (shifted, overflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, carry) = shifted.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            guard !overflow, !carry else { return nil }
            value = sum
        }
        return value
    }
}
