import Foundation
import HTTPTypes
import Herald
import Hummingbird
import NIOCore

/// `GET /v1/topics`: every event type stored in the log, with its count, its newest sequence and its
/// recent rate.
///
/// ```json
/// {"topics":[{"type":"orders.placed","count":1520,"last_sequence":20811,"rate_per_second":3.25}]}
/// ```
///
/// Sorted by type. `count` and `last_sequence` come from the store (``EventLog/eventTypes()``), which
/// answers from an index or running totals rather than reading the events. `rate_per_second` is measured
/// by the server from the events it observes being appended since it started, over the last minute (see
/// ``TopicRateTracker``), rounded to three decimals; it is 0 for a type with no event in that time. A key whose
/// `subscribe` scope is limited to some topics sees only the types they match (``TopicAccess``).
public struct TopicsController: Sendable {
    let store: any EventLog
    let rates: TopicRateTracker

    /// Creates the route over `store`, with rates from `rates`.
    public init(store: any EventLog, rates: TopicRateTracker) {
        self.store = store
        self.rates = rates
    }

    /// Adds `GET` to `group`, which should be at `/v1/topics`.
    public func addRoutes(to group: RouterGroup<HeraldRequestContext>) {
        group.on(method: .get, scope: .subscribe) { _, context in try await list(access: context.topicAccess) }
    }

    struct Topic: Encodable {
        var type: String
        var count: Int
        var lastSequence: Int64
        var ratePerSecond: Double

        enum CodingKeys: String, CodingKey {
            case type, count, lastSequence = "last_sequence", ratePerSecond = "rate_per_second"
        }
    }

    func list(access: TopicAccess = .unrestricted) async throws -> Response {
        let summaries: [EventTypeSummary]
        do {
            summaries = try await store.eventTypes()
        } catch let error as EventLogError {
            throw ProblemDetails.storeError(error)
        }
        let current = rates.ratesPerSecond()
        let topics = summaries.filter { access.permits(.subscribe, topic: $0.type) }.map { summary in
            Topic(
                type: summary.type, count: summary.count, lastSequence: summary.lastSequence,
                ratePerSecond: ((current[summary.type] ?? 0) * 1_000).rounded() / 1_000)
        }
        return Response.json(.ok, EventCarryingJSON.encode(["topics": topics]))
    }
}
