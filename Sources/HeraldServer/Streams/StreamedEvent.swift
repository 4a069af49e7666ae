import Foundation
import Herald

/// A stored event on its way to stream clients, encoded once in the structured CloudEvents JSON format
/// however many clients receive it.
struct StreamedEvent: Sendable {
    /// The event's sequence in the log.
    let sequence: Int64
    /// The event's `type`, which topic patterns match.
    let type: String
    /// The event as `Event.jsonData()` writes it.
    let json: Data

    init(_ stored: StoredEvent) {
        self.sequence = stored.sequence
        self.type = stored.event.type
        self.json = stored.event.jsonData()
    }
}

/// What a stream client is sent next: an event, or a heartbeat when the stream has a heartbeat.
enum StreamMessage: Sendable {
    /// The next event that matches the client's topic.
    case event(StreamedEvent)
    /// Time to tell the client the stream is still alive.
    case heartbeat
}
