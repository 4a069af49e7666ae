import Foundation
import Herald

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
struct SettleResults {
    struct Result {
        var deliveryID: String
        var outcome: String
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

    /// Writes the answer, keys sorted as in every answer, with the JSON writer of the event format: polls
    /// carry it, and it costs a fraction of `JSONEncoder`.
    func write(to writer: inout JSONWriter) {
        writer.writeRaw(#"{"results":["#)
        for (index, result) in results.enumerated() {
            writer.writeRaw(index == 0 ? #"{"delivery_id":"# : #",{"delivery_id":"#)
            writer.writeString(result.deliveryID)
            writer.writeMemberName("outcome")
            writer.writeString(result.outcome)
            writer.writeRaw("}")
        }
        writer.writeRaw(#"],"settled":"#)
        writer.writeRaw(String(settled))
        writer.writeMemberName("unknown")
        writer.writeRaw(String(unknown))
        writer.writeRaw("}")
    }

    /// The answer as JSON.
    var jsonData: Data {
        var writer = JSONWriter()
        write(to: &writer)
        return Data(writer.bytes)
    }
}
