import Herald
import Logging
import PostgresNIO

/// The store's tables and the migrations that create them, numbered in the table `schema_version`.
///
/// Instants (`time`, `stored_at`, `deliver_at`, leases) are `float8` seconds since 2001-01-01 UTC, the
/// representation `Date` itself uses, so they compare and round-trip exactly. The `event` column holds the
/// whole event in the core's record form; the other event columns are copies for queries. `log_head` has
/// one row: the offset added to every sequence and the highest sequence retention has removed
/// (``PostgresLogHead`` explains how sequences come from transaction ids).
enum PostgresSchema {
    /// Migration `n` (1-based) takes a schema from version `n - 1` to `n`.
    static func migrations(_ t: PostgresTables) -> [[String]] {
        [
            [
                "CREATE TABLE \(t.head) (id int PRIMARY KEY CHECK (id = 1), last_sequence bigint NOT NULL)",
                "INSERT INTO \(t.head) (id, last_sequence) VALUES (1, 0)",
                """
                CREATE TABLE \(t.events) (
                    sequence bigint PRIMARY KEY,
                    source text NOT NULL,
                    id text NOT NULL,
                    type text COLLATE "C" NOT NULL,
                    subject text,
                    time float8,
                    partition_key text,
                    stored_at float8 NOT NULL,
                    event bytea NOT NULL,
                    UNIQUE (source, id)
                )
                """,
                "CREATE INDEX events_by_type ON \(t.events) (type, sequence)",
                "CREATE INDEX events_by_subject ON \(t.events) (subject, sequence)",
                "CREATE INDEX events_by_source ON \(t.events) (source, sequence)",
                "CREATE INDEX events_by_stored_at ON \(t.events) (stored_at)",
                """
                CREATE TABLE \(t.scheduled) (
                    position bigserial PRIMARY KEY,
                    source text NOT NULL,
                    id text NOT NULL,
                    type text COLLATE "C" NOT NULL,
                    subject text,
                    time float8,
                    partition_key text,
                    deliver_at float8 NOT NULL,
                    event bytea NOT NULL,
                    UNIQUE (source, id)
                )
                """,
                "CREATE INDEX scheduled_by_due_time ON \(t.scheduled) (deliver_at, position)",
                // `cursor`: every event up to this sequence that the group receives has a row in
                // `group_pending` or was acknowledged. `start_*` only record the configuration as given.
                """
                CREATE TABLE \(t.groups) (
                    group_id bigserial PRIMARY KEY,
                    name text NOT NULL UNIQUE,
                    topic text NOT NULL,
                    start_kind text NOT NULL,
                    start_sequence bigint,
                    start_time float8,
                    max_attempts int NOT NULL,
                    ack_timeout_seconds bigint NOT NULL,
                    ack_timeout_attoseconds bigint NOT NULL,
                    ordered boolean NOT NULL,
                    cursor bigint NOT NULL
                )
                """,
                // One row per event a group received and has not acknowledged. `state`: 0 waiting for
                // (re)delivery from `available_at`, 1 leased until `lease_until` as `delivery_id`, 2 dead
                // letter. `attempt` counts the deliveries made. Acknowledging deletes the row.
                """
                CREATE TABLE \(t.pending) (
                    group_id bigint NOT NULL REFERENCES \(t.groups) (group_id) ON DELETE CASCADE,
                    sequence bigint NOT NULL REFERENCES \(t.events) (sequence) ON DELETE CASCADE,
                    state smallint NOT NULL,
                    attempt int NOT NULL,
                    available_at float8 NOT NULL,
                    lease_until float8,
                    delivery_id text,
                    last_error text,
                    partition_key text,
                    PRIMARY KEY (group_id, sequence)
                )
                """,
                "CREATE INDEX group_pending_ready ON \(t.pending) (group_id, state, sequence)",
                "CREATE INDEX group_pending_by_lease ON \(t.pending) (group_id, lease_until) WHERE state = 1",
                "CREATE INDEX group_pending_by_key ON \(t.pending) (group_id, partition_key, sequence)",
                "CREATE INDEX group_pending_by_delivery ON \(t.pending) (delivery_id)",
                "CREATE INDEX group_pending_by_sequence ON \(t.pending) (sequence)",
            ],
            [
                // One row per lock name ever taken, kept after a release (`owner` NULL) so that its
                // `token` keeps increasing.
                """
                CREATE TABLE \(t.locks) (
                    name text PRIMARY KEY,
                    owner text,
                    token bigint NOT NULL,
                    expires_at float8 NOT NULL
                )
                """,
                // `definition` is the schedule's JSON form; the other columns are its firing state.
                """
                CREATE TABLE \(t.schedules) (
                    name text PRIMARY KEY,
                    definition bytea NOT NULL,
                    revision bigint NOT NULL,
                    last_fired_at float8,
                    next_fire_at float8
                )
                """,
            ],
            [
                // Acks and nacks find their rows by primary key (the delivery id ends in the sequence): one
                // index fewer for every lease to update.
                "DROP INDEX \(t.schema).group_pending_by_delivery"
            ],
            [
                // Process manager instances (`PostgresEventStore+Processes.swift`).
                """
                CREATE TABLE \(t.processes) (
                    process text NOT NULL,
                    key text COLLATE "C" NOT NULL,
                    version bigint NOT NULL,
                    document bytea NOT NULL,
                    finished boolean NOT NULL,
                    updated_at float8 NOT NULL,
                    PRIMARY KEY (process, key)
                )
                """
            ],
            [
                // One row per batch of events an unordered group took from the log and leased at once, until
                // `lease_until` (first attempts only): `sequences` are the ones not yet acknowledged or
                // nacked, and each one's delivery id is `lease` followed by its sequence. A take writes one
                // row instead of a row per event, and an ack of the batch deletes it. A lease that runs out
                // turns its sequences into `group_pending` rows waiting for a redelivery.
                """
                CREATE TABLE \(t.leases) (
                    group_id bigint NOT NULL REFERENCES \(t.groups) (group_id) ON DELETE CASCADE,
                    lease text NOT NULL,
                    lease_until float8 NOT NULL,
                    sequences bigint[] NOT NULL,
                    PRIMARY KEY (group_id, lease)
                )
                """,
                "CREATE INDEX group_leases_by_end ON \(t.leases) (group_id, lease_until)",
            ],
            [
                // Sequences from transaction ids (``PostgresLogHead``): appending transactions no longer lock
                // `log_head`. The offset puts every new sequence above the ones already assigned, and
                // `removed_through` keeps the highest so that `lastSequence` never goes back. Dropping
                // `last_sequence` makes a node of an older build fail on its next append rather than assign
                // sequences that readers have passed.
                "ALTER TABLE \(t.head) ADD COLUMN sequence_offset bigint NOT NULL DEFAULT 0",
                "ALTER TABLE \(t.head) ADD COLUMN removed_through bigint NOT NULL DEFAULT 0",
                """
                UPDATE \(t.head) SET removed_through = last_sequence,
                    sequence_offset = greatest(0, last_sequence + 1 - (\(PostgresLogHead.transactionBase)))
                """,
                "ALTER TABLE \(t.head) DROP COLUMN last_sequence",
            ],
        ]
    }

    /// The newest schema version this build reads and writes.
    static let currentVersion = 6

    /// Creates the schema when missing and migrates it to ``currentVersion``, then creates the `routines`
    /// missing from it, safely when several nodes start at once: the migrating transaction holds an advisory
    /// lock named after the schema.
    ///
    /// - Throws: ``EventLogError`` with ``EventLogError/Code/storage`` when a newer Herald wrote the schema.
    static func migrate(
        _ client: PostgresClient,
        tables t: PostgresTables,
        routines: [PostgresRoutine],
        logger: Logger
    ) async throws {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query(
                "SELECT pg_advisory_xact_lock(hashtext(\("herald.migrate." + t.schema)))",
                logger: logger
            )
            try await connection.query("CREATE SCHEMA IF NOT EXISTS \(unescaped: t.schema)", logger: logger)
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS \(unescaped: t.version) (version int NOT NULL)",
                logger: logger
            )
            var found = 0
            for try await version in try await connection.query(
                "SELECT max(version) FROM \(unescaped: t.version)",
                logger: logger
            ).decode(Int?.self) {
                found = version ?? 0
            }
            guard found <= currentVersion else {
                throw EventLogError(
                    .storage,
                    "the schema \(t.schema) has version \(found), written by a newer Herald; this Herald supports "
                        + "versions up to \(currentVersion). Upgrade Herald, or use another schema."
                )
            }
            if found < currentVersion {
                for statements in migrations(t)[found...] {
                    for statement in statements {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                }
                try await connection.query("DELETE FROM \(unescaped: t.version)", logger: logger)
                try await connection.query(
                    "INSERT INTO \(unescaped: t.version) (version) VALUES (\(currentVersion))",
                    logger: logger
                )
            }
            for routine in routines {
                var exists = false
                for try await found in try await connection.query(
                    """
                    SELECT EXISTS (
                        SELECT 1 FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
                        WHERE n.nspname = \(t.schemaName) AND p.proname = \(routine.name)
                    )
                    """,
                    logger: logger
                ).decode(Bool.self) {
                    exists = found
                }
                if !exists { try await connection.query(PostgresQuery(unsafeSQL: routine.definition), logger: logger) }
            }
        }
    }
}
