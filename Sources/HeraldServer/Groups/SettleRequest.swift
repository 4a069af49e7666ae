/// The body of `POST /v1/groups/{name}/ack` (`{"delivery_ids":["..."]}`) and of
/// `POST /v1/groups/{name}/nack` (`{"delivery_ids":["..."],"delay_ms":0,"error":"..."}`).
///
/// `delivery_ids` is required, with at most 1000 ids. For a nack, `delay_ms` (0-86400000, default 0) is
/// how long before the redelivery, and `error` (at most 4096 characters, optional) is kept as the last
/// error, shown with the dead letter when that was the last attempt.
struct SettleRequest: Decodable {
    static let maximumIDs = 1_000
    static let maximumDelayMilliseconds = 86_400_000
    static let maximumErrorLength = 4_096

    var deliveryIDs: [String]
    var delayMilliseconds: Int?
    var error: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case deliveryIDs = "delivery_ids", delayMilliseconds = "delay_ms", error
    }

    static let ackFields = [CodingKeys.deliveryIDs.rawValue]
    static let nackFields = CodingKeys.allCases.map(\.rawValue)
    static let ackExample = #"{"delivery_ids":["DELIVERY_ID"]}"#
    static let nackExample = #"{"delivery_ids":["DELIVERY_ID"],"delay_ms":1000,"error":"timeout calling billing"}"#

    /// The ids, each once, in request order.
    func checkedIDs() throws(ProblemDetails) -> [String] {
        guard deliveryIDs.count <= Self.maximumIDs else {
            throw .invalidBody(
                "field 'delivery_ids' has \(deliveryIDs.count) ids; send at most \(Self.maximumIDs) per request")
        }
        var seen: Set<String> = []
        return deliveryIDs.filter { seen.insert($0).inserted }
    }

    /// The nack's delay, checked.
    func checkedDelay() throws(ProblemDetails) -> Duration {
        let delay = delayMilliseconds ?? 0
        guard (0...Self.maximumDelayMilliseconds).contains(delay) else {
            throw .invalidBody(
                "field 'delay_ms' must be from 0 to \(Self.maximumDelayMilliseconds) (24 hours), got \(delay)")
        }
        return .milliseconds(delay)
    }

    /// The nack's error, checked.
    func checkedError() throws(ProblemDetails) -> String? {
        if let error, error.count > Self.maximumErrorLength {
            throw .invalidBody(
                "field 'error' has \(error.count) characters; keep it to \(Self.maximumErrorLength), the gist of "
                    + "the failure")
        }
        return error
    }
}
