import Foundation
import Herald
import HeraldClient

/// Where a demo publishes its events and reads them back: a store in this process, or a running
/// `herald serve` reached over HTTP.
///
/// With ``server(_:)`` the events land in the server's log, so its dashboard, `herald query` and
/// `herald tail` show them as the demo runs.
public enum EventChannel: Sendable {
    /// An event log in this process, such as an embedded SQLite store.
    case store(any EventLog)
    /// A running server, through its HTTP API.
    case server(HeraldClient)

    /// Publishes `events` as one batch: all are stored, or the call throws and none is.
    public func publish(_ events: [Event]) async throws {
        guard !events.isEmpty else { return }
        switch self {
        case .store(let log): _ = try await log.append(events)
        case .server(let client): _ = try await client.publish(events)
        }
    }

    /// The highest sequence stored so far: a demo follows the events it publishes from there.
    public func lastSequence() async throws -> Int64 {
        switch self {
        case .store(let log): try await log.lastSequence()
        case .server(let client): try await client.topics().compactMap(\.lastSequence).max() ?? 0
        }
    }

    /// The first `limit` stored events (at most 1,000) whose type matches `topic`, with this `subject`, whose
    /// `time` is in `time`: what `herald query --topic --subject --from --until` prints.
    public func query(topic: TopicPattern, subject: String, time: Range<Date>, limit: Int = 1_000) async throws
        -> [Event]
    {
        switch self {
        case .store(let log):
            let filter = EventFilter(topic: topic, subject: subject, time: time)
            return try await log.read(after: 0, filter: filter, limit: limit).events.map(\.event)
        case .server(let client):
            let page = try await client.query(
                topic: topic.description, subject: subject, from: time.lowerBound, until: time.upperBound,
                limit: limit)
            return page.events.map(\.event)
        }
    }

    /// Calls `handle` with each event after `sequence` whose type matches `topic`, in sequence order, as
    /// they are stored (a follower of the log, or the server's Server-Sent Events), until `handle`
    /// returns `false`.
    public func follow(
        topic: TopicPattern,
        after sequence: Int64,
        _ handle: (StoredEvent) async throws -> Bool
    ) async throws {
        switch self {
        case .store(let log):
            for try await stored in log.follow(after: sequence, filter: EventFilter(topic: topic)) {
                guard try await handle(stored) else { return }
            }
        case .server(let client):
            for try await stored in client.stream(topic: topic.description, after: sequence) {
                guard try await handle(stored) else { return }
            }
        }
    }
}
