import Foundation
import Herald

/// PostgreSQL's `text` cannot hold U+0000 (NUL), which Swift strings and the other stores can: what goes into a
/// text column is checked or adjusted first, so that a NUL from a client is a clear invalid-argument error (or a
/// filter that matches nothing) rather than a failed statement.
enum PostgresText {
    /// Whether `text` can be bound as PostgreSQL `text`.
    static func isStorable(_ text: String) -> Bool {
        !text.utf8.contains(0)
    }

    /// Checks the attributes the store keeps in text columns, before a batch joins a group commit: a refused
    /// statement would fail the other appends committed with it.
    ///
    /// - Throws: ``EventLogError/Code/invalidArgument`` naming the event and the attribute.
    static func checkStorable(_ events: [Event]) throws(EventLogError) {
        for event in events {
            let attributes = [
                ("id", event.id), ("source", event.source), ("type", event.type), ("subject", event.subject),
                ("partitionkey", event.partitionKey),
            ]
            for case (let name, let value?) in attributes where !isStorable(value) {
                throw EventLogError(
                    .invalidArgument,
                    "event '\(event.id.prefix(128))' has a NUL character (U+0000) in '\(name)', which the PostgreSQL "
                        + "store cannot keep in that attribute; remove it (data and other extensions may hold it)")
            }
        }
    }

    /// `text` with each NUL replaced by U+FFFD, for informational text such as a nack's error.
    static func storable(_ text: String) -> String {
        isStorable(text) ? text : text.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}")
    }
}
