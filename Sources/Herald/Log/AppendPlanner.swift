import Foundation

/// An event's identity for idempotence: its `source` and `id`.
package struct EventKey: Hashable, Sendable {
    package var source: String
    package var id: String

    /// The key of `event`.
    package init(_ event: Event) {
        source = event.source
        id = event.id
    }
}

/// Decides what a durable store does with each event of a group commit, the same way in every backend: a
/// batch whose stream expectation fails is refused whole; an event whose key is known is a duplicate; one
/// with a later `deliverat` is scheduled; the others are stored with the next sequences.
package enum AppendPlanner {
    /// The distinct keys of the batches' events, in order, for the store to look up.
    package static func keys(of batches: [AppendBatch]) -> [EventKey] {
        var keys: [EventKey] = []
        var seen = Set<EventKey>()
        for batch in batches {
            for event in batch.events where seen.insert(EventKey(event)).inserted {
                keys.append(EventKey(event))
            }
        }
        return keys
    }

    /// Plans the batches against what is stored: `known` holds the outcome a repeat of each stored or
    /// scheduled key gets, `versions` the current version of each expected stream. Calls `store` for each
    /// event to append, with its sequence, and `schedule` for each event to hold until its `deliverat`.
    ///
    /// - Returns: one result per batch, and the highest sequence assigned.
    package static func plan(
        _ batches: [AppendBatch],
        known: [EventKey: AppendResult.Outcome],
        versions: [String: Int],
        lastSequence: Int64,
        now: Date,
        store: (Event, Int64) -> Void,
        schedule: (Event, Date) -> Void
    ) -> (results: [Result<[AppendResult], EventLogError>], lastSequence: Int64) {
        var known = known
        var versions = versions
        var lastSequence = lastSequence
        var results: [Result<[AppendResult], EventLogError>] = []
        results.reserveCapacity(batches.count)
        for batch in batches {
            if let expectation = batch.expectation, let actual = versions[expectation.stream],
                actual != expectation.version
            {
                results.append(
                    .failure(
                        .versionConflict(stream: expectation.stream, expected: expectation.version, actual: actual))
                )
                continue
            }
            var batchResults: [AppendResult] = []
            batchResults.reserveCapacity(batch.events.count)
            for event in batch.events {
                let key = EventKey(event)
                let outcome: AppendResult.Outcome
                if let duplicate = known[key] {
                    outcome = duplicate
                } else if let deliverAt = event.deliverAt, deliverAt > now {
                    schedule(event, deliverAt)
                    known[key] = .duplicateScheduled
                    outcome = .scheduled
                } else {
                    lastSequence += 1
                    store(event, lastSequence)
                    known[key] = .duplicate(sequence: lastSequence)
                    if let subject = event.subject, let version = versions[subject] { versions[subject] = version + 1 }
                    outcome = .stored(sequence: lastSequence)
                }
                batchResults.append(AppendResult(id: event.id, source: event.source, outcome: outcome))
            }
            results.append(.success(batchResults))
        }
        return (results, lastSequence)
    }
}
