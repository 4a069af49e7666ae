import Herald

/// The body of `POST /v1/groups/{name}/poll`: `{"max":100,"wait_ms":5000,"ack":["..."]}`, all optional;
/// an empty body takes the defaults.
///
/// `max` (1-1000, default 100) is the most deliveries returned; `wait_ms` (0-60000, default 0) how long
/// to wait for the first one when none is available at once; `ack` (at most 1000 ids) the deliveries to
/// acknowledge first, in the same commit as the poll's leases, so that a steady consumer makes one round
/// trip per batch.
struct PollRequest {
    static let defaultMax = 100
    static let maximumMax = 1_000
    static let defaultWaitMilliseconds = 0
    static let maximumWaitMilliseconds = 60_000

    var max: Int?
    var waitMilliseconds: Int?
    var ack: [String]?

    enum CodingKeys: String, CaseIterable {
        case max, waitMilliseconds = "wait_ms", ack
    }

    static let example = #"{"max":100,"wait_ms":5000,"ack":["DELIVERY_ID"]}"#

    init(max: Int? = nil, waitMilliseconds: Int? = nil, ack: [String]? = nil) {
        self.max = max
        self.waitMilliseconds = waitMilliseconds
        self.ack = ack
    }

    /// The request from the members of its body (see ``JSONRequestReader/members(of:fields:example:)``).
    init(members: [String: JSONValue]) throws(ProblemDetails) {
        max = try JSONRequestReader.integer(members, CodingKeys.max.rawValue)
        waitMilliseconds = try JSONRequestReader.integer(members, CodingKeys.waitMilliseconds.rawValue)
        ack = try JSONRequestReader.strings(members, CodingKeys.ack.rawValue)
    }

    /// The ids to acknowledge, each once, in request order; `nil` when the request gave none.
    func checkedAcknowledgements() throws(ProblemDetails) -> [String]? {
        guard let ack else { return nil }
        guard ack.count <= SettleRequest.maximumIDs else {
            throw .invalidBody("field 'ack' has \(ack.count) ids; send at most \(SettleRequest.maximumIDs) per poll")
        }
        var seen: Set<String> = []
        return ack.filter { seen.insert($0).inserted }
    }

    /// The number of deliveries and the wait, checked.
    func checked() throws(ProblemDetails) -> (max: Int, wait: Duration) {
        let count = max ?? Self.defaultMax
        guard (1...Self.maximumMax).contains(count) else {
            throw .invalidBody("field 'max' must be from 1 to \(Self.maximumMax), got \(count); poll again for more")
        }
        let wait = waitMilliseconds ?? Self.defaultWaitMilliseconds
        guard (0...Self.maximumWaitMilliseconds).contains(wait) else {
            throw .invalidBody(
                "field 'wait_ms' must be from 0 to \(Self.maximumWaitMilliseconds), got \(wait); poll again to wait "
                    + "longer")
        }
        return (count, .milliseconds(wait))
    }
}
