import Foundation

/// The answer to an ack or a nack: what happened to each delivery id, in request order (each id once).
///
/// ```json
/// {"settled":1,"unknown":1,"results":[{"delivery_id":"a","outcome":"acked"},
///                                     {"delivery_id":"b","outcome":"unknown"}]}
/// ```
///
/// `outcome` is `"acked"` (removed for good) or `"nacked"` (to be redelivered after the delay, or moved to
/// the dead letters when it was the last attempt) for a delivery that was current, and `"unknown"` for an
/// id that names no current delivery: never issued, its lease expired (the event is or will be
/// redelivered under a new id), already acked or nacked, or from an earlier attempt. `settled` and
/// `unknown` count them.
struct SettleResults: Encodable {
    struct Result: Encodable {
        var deliveryID: String
        var outcome: String

        enum CodingKeys: String, CodingKey {
            case deliveryID = "delivery_id", outcome
        }
    }

    var settled: Int
    var unknown: Int
    var results: [Result]

    /// The results of settling `ids`, of which `current` were current; `outcome` names what was done to those.
    init(ids: [String], current: Set<String>, outcome: String) {
        results = ids.map { Result(deliveryID: $0, outcome: current.contains($0) ? outcome : "unknown") }
        settled = results.count { $0.outcome == outcome }
        unknown = results.count - settled
    }
}
