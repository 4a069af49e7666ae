import HTTPTypes
import Herald
import Hummingbird

/// What a stream request asks for: `topic=PATTERN` and where to start, from `after=SEQ` or, for Server-Sent
/// Events, the `Last-Event-ID` header.
struct StreamParameters: Sendable {
    /// The `Last-Event-ID` header a reconnecting `EventSource` sends.
    static let lastEventID = HTTPField.Name("Last-Event-ID")!

    /// Only events whose type matches; every event when `nil`.
    var topic: TopicPattern?
    /// Start after this sequence; `nil` means with the events appended from now on.
    var after: Int64?

    /// Reads the query and, when `readsLastEventID`, the `Last-Event-ID` header, which wins over `after`:
    /// a browser's `EventSource` reconnects to the same URL, `after` included, and adds the header, so the
    /// header is where the client really is.
    ///
    /// - Throws: ``ProblemDetails`` (400) naming the parameter or header and what it must be.
    init(request: Request, readsLastEventID: Bool) throws(ProblemDetails) {
        let query = request.uri.queryParameters
        if let text = query["topic"] {
            do {
                topic = try TopicPattern(String(text))
            } catch {
                throw .invalidQuery(
                    "query parameter 'topic' is not a valid pattern: \(error); use NATS syntax such as "
                        + "'orders.*' or 'orders.>', or leave it out for every event")
            }
        }
        if let text = query["after"] {
            guard let sequence = Self.sequence(String(text)) else {
                throw .invalidQuery(
                    "query parameter 'after' must be a sequence, an integer from 0 to \(Int64.max), got '\(text)'; "
                        + "leave it out to start with new events")
            }
            after = sequence
        }
        if readsLastEventID, let text = request.headers[Self.lastEventID] {
            guard let sequence = Self.sequence(text) else { throw .invalidLastEventID(text) }
            after = sequence
        }
    }

    private static func sequence(_ text: String) -> Int64? {
        guard text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
        return Int64(text)
    }
}
