import Herald
import SQLiteNIO

/// The embedded event store: an ``EventLog`` and ``ConsumerGroupStore`` in one SQLite file.
public enum SQLiteEventStoreVersion {
    /// The SQLite library version linked in, for diagnostics.
    public static var sqlite: String { SQLiteConnection.libraryVersionString() }
}
