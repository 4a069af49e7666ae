import Foundation
import Logging
import PostgresNIO

/// How the log's sequences are assigned and read without a lock that appending transactions take in turn.
///
/// - **Assigning.** The events an appending transaction stores get `offset + (xid << 20) + i`: its
///   transaction id (`pg_current_xact_id()`), shifted to leave room for ``eventsPerTransaction``, plus the
///   event's index within the transaction. Transactions on every node append at once, and their sequences
///   never collide because their ids differ.
/// - **Reading.** Readers look only at sequences at or below the *settled head*, `offset + (xmin << 20) - 1`,
///   where `xmin` is the oldest transaction still running when the reading statement took its snapshot
///   (``settled(_:)``). Every transaction with a smaller id has ended, so every event that will ever have a
///   sequence up to there is committed and in the snapshot; every transaction still running, or not yet
///   begun, has an id of at least `xmin`, so its events come after. A reader that has seen sequence `n` has
///   therefore seen every event below `n`, on every node, whatever order transactions commit in and
///   whichever of them roll back.
/// - **The cost.** An event becomes readable once every older transaction in the PostgreSQL cluster has
///   ended, Herald's or not: a writing transaction left open holds readers back, though it never makes them
///   skip. An append waits until its events are readable before it answers, up to
///   ``PostgresEventStore/Configuration/visibilityWait``, so that a client reads what it has just published,
///   and only then notifies the nodes (``awaitReadable(base:notifying:tables:limit:on:logger:)``).
/// - **Sequences** increase but are not consecutive: each appending transaction starts a range of its own.
///   `offset` (set when a database from before this scheme was migrated) keeps them above the old ones.
enum PostgresLogHead {
    /// The most events one transaction can append.
    static let eventsPerTransaction: Int64 = 1 << 20

    /// SQL: the running transaction's id, shifted; assigns the transaction an id when it has none.
    static let transactionBase = "pg_current_xact_id()::text::bigint << 20"

    /// SQL: the id of the oldest transaction running at the statement's snapshot, shifted.
    static let snapshotBase = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint << 20"

    /// SQL: the settled head of the statement's snapshot: every event with a sequence up to it is
    /// committed and visible, and no other will ever get one.
    static func settled(_ t: PostgresTables) -> String {
        "((SELECT sequence_offset FROM \(t.head)) + (\(snapshotBase)) - 1)"
    }

    /// SQL: the highest readable sequence, or the highest retention removed when that is higher (so that it
    /// never goes back), or 0.
    static func last(_ t: PostgresTables) -> String {
        """
        (SELECT greatest(h.removed_through, (
                SELECT max(e.sequence) FROM \(t.events) AS e WHERE e.sequence <= h.sequence_offset + (\(snapshotBase)) - 1
            )) FROM \(t.head) AS h)
        """
    }

    /// SQL: the first sequence of the transaction's range and the next free one in it (after what it
    /// appended already, as an outbox transaction that publishes twice does), and the earliest due time of the
    /// scheduled events, as a common table expression and the columns that read it.
    static func range(_ t: PostgresTables) -> (with: String, columns: String) {
        (
            "b AS (SELECT sequence_offset + (\(transactionBase)) AS base FROM \(t.head))",
            """
            b.base, coalesce((
                    SELECT max(e.sequence) + 1 FROM \(t.events) AS e
                    WHERE e.sequence >= b.base AND e.sequence < b.base + \(eventsPerTransaction)
                ), b.base),
                (SELECT min(deliver_at) FROM \(t.scheduled))
            FROM b
            """
        )
    }

    /// Waits until the events of the committed transaction whose range starts at `base` are readable on
    /// every node (every older transaction has ended), checking at growing intervals for up to `limit`, then
    /// tells every node with `NOTIFY` that the log changed, with `payload` (``notificationPayload(scheduling:)``).
    /// Returns whether the events were readable when it notified. Run on the connection that committed, after
    /// the commit.
    ///
    /// Each check notifies in the same statement once the events are readable, in a transaction of its own
    /// that need not wait for the disk (a notification is only a wake-up): one round trip when nothing older is
    /// running. A waiter woken by it therefore finds the events; one woken earlier, or not at all, looks again
    /// at its fallback interval.
    static func awaitReadable(
        base: Int64,
        notifying payload: String,
        tables t: PostgresTables,
        limit: Duration,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> Bool {
        let check: PostgresQuery = """
            SELECT r.readable, CASE WHEN r.readable THEN
                    set_config('synchronous_commit', 'off', true) || pg_notify(\(t.channel), \(payload))::text
                END
            FROM (SELECT sequence_offset + (\(unescaped: snapshotBase)) > \(base) AS readable FROM \(unescaped: t.head)) AS r
            """
        let started = ContinuousClock.now
        var pause = Duration.microseconds(200)
        while true {
            for try await (readable, _) in try await connection.query(check, logger: logger)
                .decode((Bool, String?).self) where readable
            {
                return true
            }
            if ContinuousClock.now - started >= limit { break }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(20))
        }
        try await connection.query(
            "SELECT set_config('synchronous_commit', 'off', true) || pg_notify(\(t.channel), \(payload))::text",
            logger: logger
        )
        return false
    }

    /// The `NOTIFY` payload of a commit: empty, or the due time of the earliest event it scheduled.
    static func notificationPayload(scheduling due: Date?) -> String {
        due.map { "due:\($0.timeIntervalSinceReferenceDate)" } ?? ""
    }
}
