/// The body of `POST /v1/groups/{name}/poll`: `{"max":100,"wait_ms":5000}`, both optional; an empty
/// body takes the defaults.
///
/// `max` (1-1000, default 100) is the most deliveries returned; `wait_ms` (0-60000, default 0) how long
/// to wait for the first one when none is available at once.
struct PollRequest: Decodable {
    static let defaultMax = 100
    static let maximumMax = 1_000
    static let defaultWaitMilliseconds = 0
    static let maximumWaitMilliseconds = 60_000

    var max: Int?
    var waitMilliseconds: Int?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case max, waitMilliseconds = "wait_ms"
    }

    static let example = #"{"max":100,"wait_ms":5000}"#

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
