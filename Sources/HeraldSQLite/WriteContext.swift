import Foundation
import Herald
import SQLiteNIO

/// One write transaction on the store's write connection: the statements run in it, and what the store
/// publishes once it commits.
///
/// Used only by the task that holds the write lock, from `BEGIN` to `COMMIT`.
final class WriteContext {
    let connection: SQLiteConnection
    /// The store clock's time when the transaction began; every decision in it uses this instant.
    let now: Date
    /// The highest sequence assigned so far, committed or in this transaction.
    var lastSequence: Int64
    /// The earliest `deliver_at` of the scheduled events, as this transaction leaves them.
    var earliestDue: Date?
    /// The positions and leases of the consumer groups this process has used, by group id (see
    /// ``GroupPosition``); a group without an entry stands where its row says, with no leases.
    var groups: [Int: GroupPosition]
    /// The consumer groups' rows by name, as read or written by this process, so that a poll need not read
    /// its group's row again: only this process writes the file.
    var groupRecords: [String: ConsumerGroupRecord]
    /// Whether the transaction made something new to wait for: events, or deliveries that may be leased.
    var changed = false
    /// Whether a transaction is open on the connection: by `SQLiteEventStore.inTransaction`, or by
    /// ``beginWrites()`` under `SQLiteEventStore.inLazyTransaction`.
    var isInTransaction = false

    init(
        connection: SQLiteConnection,
        now: Date,
        lastSequence: Int64,
        earliestDue: Date?,
        groups: [Int: GroupPosition],
        groupRecords: [String: ConsumerGroupRecord]
    ) {
        self.connection = connection
        self.now = now
        self.lastSequence = lastSequence
        self.earliestDue = earliestDue
        self.groups = groups
        self.groupRecords = groupRecords
    }

    /// Opens a transaction unless one is open. A body under `SQLiteEventStore.inLazyTransaction` calls it
    /// before every write but its last, so that when it writes once it needs no transaction.
    func beginWrites() async throws {
        guard !isInTransaction else { return }
        try await query("BEGIN IMMEDIATE")
        isInTransaction = true
    }

    @discardableResult
    func query(_ sql: String, _ bindings: [SQLiteData] = []) async throws -> [SQLiteRow] {
        try await connection.query(sql, bindings)
    }

    /// Runs `sql`, whose `IN (...)` list is written as `(?values)`, once per chunk of
    /// ``maximumListLength`` `values`, with `prefix` bound before and `suffix` after the chunk; returns the
    /// rows of all runs.
    @discardableResult
    func query(
        _ sql: String,
        prefix: [SQLiteData] = [],
        values: [SQLiteData],
        suffix: [SQLiteData] = []
    ) async throws -> [SQLiteRow] {
        var rows: [SQLiteRow] = []
        for start in stride(from: 0, to: values.count, by: Self.maximumListLength) {
            let chunk = values[start..<min(start + Self.maximumListLength, values.count)]
            let list = "(" + Array(repeating: "?", count: chunk.count).joined(separator: ", ") + ")"
            rows += try await query(sql.replacingOccurrences(of: "(?values)", with: list), prefix + chunk + suffix)
        }
        return rows
    }

    /// The most values bound to one statement: SQLite's default limit (sqlite-nio's build allows more).
    static let maximumBindings = 32_766
    /// The most values of one `IN (?values)` list, leaving room under ``maximumBindings`` for the others.
    static let maximumListLength = 32_000

    /// Inserts rows of `columns.count` values each into `table`, as few statements as the binding limit
    /// allows; `conflict` (such as `ON CONFLICT ... DO UPDATE ...`) follows each statement's values.
    func insert(into table: String, columns: [String], rows: [[SQLiteData]], conflict: String = "") async throws {
        let rowsPerStatement = Self.maximumBindings / columns.count
        let placeholders = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
        for start in stride(from: 0, to: rows.count, by: rowsPerStatement) {
            let chunk = rows[start..<min(start + rowsPerStatement, rows.count)]
            try await query(
                "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES "
                    + Array(repeating: placeholders, count: chunk.count).joined(separator: ", ") + conflict,
                chunk.flatMap { $0 }
            )
        }
    }
}

extension Date {
    /// The value the schema stores for an instant: seconds since the reference date, exactly.
    var stored: SQLiteData { .float(timeIntervalSinceReferenceDate) }

    init?(stored value: SQLiteData?) {
        guard let seconds = value?.double else { return nil }
        self.init(timeIntervalSinceReferenceDate: seconds)
    }
}

extension Int64 {
    var stored: SQLiteData { .integer(SQLiteInt64(self)) }
}
