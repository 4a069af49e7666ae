import Herald
import SQLiteNIO

/// The tables of the store and the migrations that create them, numbered by `PRAGMA user_version`.
///
/// Instants (`time`, `stored_at`, `deliver_at`, leases) are REAL seconds since 2001-01-01 UTC, the
/// representation `Date` itself uses, so they compare and round-trip exactly. The `event` column holds
/// the whole event in ``EventRecordCodec``'s form; the other event columns are copies for queries.
enum SQLiteSchema {
    /// Migration `n` (1-based) takes a database from version `n - 1` to `n`.
    static let migrations: [[String]] = [
        [
            """
            CREATE TABLE events (
                sequence INTEGER PRIMARY KEY AUTOINCREMENT,
                source TEXT NOT NULL,
                id TEXT NOT NULL,
                type TEXT NOT NULL,
                subject TEXT,
                time REAL,
                partition_key TEXT,
                stored_at REAL NOT NULL,
                event BLOB NOT NULL,
                UNIQUE (source, id)
            )
            """,
            "CREATE INDEX events_by_type ON events (type, sequence)",
            "CREATE INDEX events_by_subject ON events (subject, sequence)",
            "CREATE INDEX events_by_source ON events (source, sequence)",
            "CREATE INDEX events_by_stored_at ON events (stored_at)",
            """
            CREATE TABLE scheduled (
                position INTEGER PRIMARY KEY AUTOINCREMENT,
                source TEXT NOT NULL,
                id TEXT NOT NULL,
                type TEXT NOT NULL,
                subject TEXT,
                time REAL,
                partition_key TEXT,
                deliver_at REAL NOT NULL,
                event BLOB NOT NULL,
                UNIQUE (source, id)
            )
            """,
            "CREATE INDEX scheduled_by_due_time ON scheduled (deliver_at, position)",
            // `cursor`: every event up to this sequence that the group receives has a row in `group_pending`
            // or was acknowledged. `start_*` only record the configuration as given.
            """
            CREATE TABLE consumer_groups (
                group_id INTEGER PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                topic TEXT NOT NULL,
                start_kind TEXT NOT NULL,
                start_sequence INTEGER,
                start_time REAL,
                max_attempts INTEGER NOT NULL,
                ack_timeout_seconds INTEGER NOT NULL,
                ack_timeout_attoseconds INTEGER NOT NULL,
                ordered INTEGER NOT NULL,
                cursor INTEGER NOT NULL
            )
            """,
            // One row per event a group received and has not acknowledged. `state`: 0 waiting for
            // (re)delivery from `available_at`, 1 leased until `lease_until` as `delivery_id`, 2 dead letter.
            // `attempt` counts the deliveries made. Acknowledging deletes the row.
            """
            CREATE TABLE group_pending (
                group_id INTEGER NOT NULL REFERENCES consumer_groups (group_id) ON DELETE CASCADE,
                sequence INTEGER NOT NULL REFERENCES events (sequence) ON DELETE CASCADE,
                state INTEGER NOT NULL,
                attempt INTEGER NOT NULL,
                available_at REAL NOT NULL,
                lease_until REAL,
                delivery_id TEXT,
                last_error TEXT,
                partition_key TEXT,
                PRIMARY KEY (group_id, sequence)
            ) WITHOUT ROWID
            """,
            "CREATE INDEX group_pending_by_state ON group_pending (group_id, state, available_at)",
            // Polls take waiting rows in sequence order and stop at their limit, however long the backlog.
            "CREATE INDEX group_pending_ready ON group_pending (group_id, state, sequence)",
            "CREATE INDEX group_pending_by_key ON group_pending (group_id, partition_key, sequence)",
            "CREATE INDEX group_pending_by_delivery ON group_pending (group_id, delivery_id)",
            "CREATE INDEX group_pending_by_sequence ON group_pending (sequence)",
        ],
        // Locks (`SQLiteEventStore+Locks.swift`): one row per lock name ever taken, kept after a release
        // (`owner` NULL) so that its `token` keeps increasing.
        [
            """
            CREATE TABLE locks (
                name TEXT PRIMARY KEY,
                owner TEXT,
                token INTEGER NOT NULL,
                expires_at REAL NOT NULL
            ) WITHOUT ROWID
            """
        ],
        // Schedules (`SQLiteEventStore+Schedules.swift`): the definition in its JSON form, and the state of
        // its firing.
        [
            """
            CREATE TABLE schedules (
                name TEXT PRIMARY KEY,
                definition BLOB NOT NULL,
                revision INTEGER NOT NULL,
                last_fired_at REAL,
                next_fire_at REAL
            ) WITHOUT ROWID
            """
        ],
        // Process manager instances (`SQLiteEventStore+Processes.swift`): the runner's document, and the version
        // that optimistic concurrency compares.
        [
            """
            CREATE TABLE processes (
                process TEXT NOT NULL,
                key TEXT NOT NULL,
                version INTEGER NOT NULL,
                document BLOB NOT NULL,
                finished INTEGER NOT NULL,
                updated_at REAL NOT NULL,
                PRIMARY KEY (process, key)
            ) WITHOUT ROWID
            """
        ],
        // Consumer groups as cursors (`GroupPosition`): leases move to memory, so a row of `group_pending` is
        // only for an event waiting for a redelivery, held back behind its partition key, or dead (`state` 0
        // and 2; 1 while such a row's event is out with a consumer, until `lease_until`). `cursor` becomes
        // the floor and `taken` how far the group read; a version 4 cursor is both, since every event it passed
        // either has a row or was acknowledged.
        [
            "ALTER TABLE consumer_groups ADD COLUMN taken INTEGER NOT NULL DEFAULT 0",
            "UPDATE consumer_groups SET taken = cursor",
            "ALTER TABLE consumer_groups ADD COLUMN holes TEXT NOT NULL DEFAULT ''",
            "DROP INDEX group_pending_by_delivery",
            "ALTER TABLE group_pending DROP COLUMN delivery_id",
        ],
    ]

    /// The newest schema version this build reads and writes.
    static var currentVersion: Int { migrations.count }

    /// Checks the version of the database behind `connection` and migrates it to ``currentVersion``.
    ///
    /// - Throws: ``EventLogError`` with ``EventLogError/Code/storage`` when a newer Herald wrote the file.
    static func migrate(_ connection: SQLiteConnection, path: String) async throws {
        let found = try await version(of: connection)
        try check(version: found, path: path)
        guard found < currentVersion else { return }
        _ = try await connection.query("BEGIN IMMEDIATE")
        do {
            // Another process may have migrated between the check and the lock.
            let locked = try await version(of: connection)
            try check(version: locked, path: path)
            for statements in migrations[locked...] {
                for statement in statements { _ = try await connection.query(statement) }
            }
            _ = try await connection.query("PRAGMA user_version = \(currentVersion)")
            _ = try await connection.query("COMMIT")
        } catch {
            _ = try? await connection.query("ROLLBACK")
            throw error
        }
    }

    static func version(of connection: SQLiteConnection) async throws -> Int {
        let rows = try await connection.query("PRAGMA user_version")
        return rows.first?.column("user_version")?.integer ?? 0
    }

    static func check(version: Int, path: String) throws {
        guard version <= currentVersion else {
            throw EventLogError(
                .storage,
                "the database '\(path)' has schema version \(version), written by a newer Herald; this Herald "
                    + "supports schema versions up to \(currentVersion). Upgrade Herald to open it, or use another path."
            )
        }
    }
}
