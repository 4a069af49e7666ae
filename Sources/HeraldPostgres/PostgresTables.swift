/// The qualified names of the store's tables in its schema, and the channel its nodes notify each other on.
struct PostgresTables: Sendable {
    /// The schema's name, quoted for SQL.
    let schema: String
    /// The schema's name as PostgreSQL's catalog has it.
    let schemaName: String
    let events: String
    let scheduled: String
    let head: String
    let groups: String
    let pending: String
    let leases: String
    let version: String
    let locks: String
    let schedules: String
    let processes: String
    /// The `LISTEN`/`NOTIFY` channel: one per schema, so that stores in other schemas do not wake this one.
    let channel: String

    init(schema: String) {
        self.schema = "\"\(schema)\""
        schemaName = schema
        events = "\"\(schema)\".events"
        scheduled = "\"\(schema)\".scheduled"
        head = "\"\(schema)\".log_head"
        groups = "\"\(schema)\".consumer_groups"
        pending = "\"\(schema)\".group_pending"
        leases = "\"\(schema)\".group_leases"
        version = "\"\(schema)\".schema_version"
        locks = "\"\(schema)\".locks"
        schedules = "\"\(schema)\".schedules"
        processes = "\"\(schema)\".processes"
        channel = "herald_\(schema.lowercased())"
    }

    /// Whether `name` can be a schema: a plain identifier that needs no escaping, short enough to leave room
    /// in the 63 bytes of a channel name.
    static func isValidSchemaName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.unicodeScalars.count <= 40 else { return false }
        func isLetter(_ c: Unicode.Scalar) -> Bool { ("a"..."z").contains(c) || ("A"..."Z").contains(c) || c == "_" }
        return isLetter(first) && name.unicodeScalars.allSatisfy { isLetter($0) || ("0"..."9").contains($0) }
    }
}
