import Foundation
import HTTPTypes
import Herald
import Hummingbird
import NIOCore

/// The `/v1/events` routes: publish events in any mode of the CloudEvents HTTP binding, and read the log.
public struct EventsController: Sendable {
    /// The largest `limit` a read accepts.
    public static let maximumReadLimit = 1000
    /// The `limit` of a read that gives none.
    public static let defaultReadLimit = 100

    let store: any EventLog & ConsumerGroupStore
    let maxBodyBytes: Int
    let metrics: ServerMetrics
    let signatures: SignatureRequirement

    /// Creates the routes over `store`, refusing request bodies larger than `maxBodyBytes`, requiring the
    /// signatures `signatures` asks for, and counting what is published in `metrics`.
    ///
    /// Each request is held to its API key's topics (``TopicAccess``): every published event's type must be
    /// within the key's `publish` topics, and a read's `topic` within its `subscribe` topics.
    public init(
        store: any EventLog & ConsumerGroupStore, maxBodyBytes: Int, metrics: ServerMetrics = ServerMetrics(),
        signatures: SignatureRequirement = SignatureRequirement()
    ) {
        self.store = store
        self.maxBodyBytes = maxBodyBytes
        self.metrics = metrics
        self.signatures = signatures
    }

    /// Adds `POST /v1/events` and `GET /v1/events` to `group`.
    public func addRoutes(to group: RouterGroup<HeraldRequestContext>) {
        group.on(method: .post, scope: .publish) { request, context in
            try await publish(request, access: context.topicAccess)
        }
        group.on(method: .get, scope: .subscribe) { request, context in
            try await read(request, access: context.topicAccess)
        }
    }

    private static let acceptedMediaTypes =
        "accepted are '\(Event.jsonMediaType)' (one event), '\(Event.jsonBatchMediaType)' (a JSON array of events), "
        + "or binary mode: the attributes in ce-* headers (ce-specversion, ce-id, ce-source, ce-type) with any "
        + "Content-Type for the data"

    func publish(_ request: Request, access: TopicAccess) async throws -> Response {
        let contentType = request.headers[.contentType]
        let events: [Event]
        switch Self.mediaType(of: contentType) {
        case Event.jsonMediaType:
            let body = try await request.collectBody(limit: maxBodyBytes)
            do {
                events = [try Event.decode(json: body)]
            } catch {
                throw ProblemDetails.invalidEvent(error.description)
            }
        case Event.jsonBatchMediaType:
            let body = try await request.collectBody(limit: maxBodyBytes)
            do {
                events = try Event.decodeBatch(json: body)
            } catch {
                throw BatchProblems.problem(for: error, in: body)
            }
        default:
            guard BinaryModeEvent.isPresent(in: request.headers) else {
                let given = contentType.map { "'\($0)'" } ?? "no Content-Type"
                throw ProblemDetails.unsupportedMediaType(
                    "cannot read events from \(given) without ce-* headers; \(Self.acceptedMediaTypes)")
            }
            let body = try await request.collectBody(limit: maxBodyBytes)
            events = [try BinaryModeEvent.decode(headers: request.headers, contentType: contentType, body: body)]
        }

        try Self.checkAdmission(events, access: access, signatures: signatures, metrics: metrics)
        let results = try await Self.append(events, to: store)
        metrics.recordPublished(results)
        return Response.json(.created, PublishedEvents(results: results).jsonData())
    }

    /// Checks that `events` may be published, all or nothing: within the key's `publish` topics, then signed as
    /// `signatures` requires. Every way of publishing (HTTP, WebSocket) goes through here.
    static func checkAdmission(
        _ events: [Event], access: TopicAccess, signatures: SignatureRequirement, metrics: ServerMetrics
    ) throws(ProblemDetails) {
        try access.checkPublish(events)
        try signatures.check(events, metrics: metrics)
    }

    /// Appends `events` to `store`, turning what the store refuses into the problem a client is answered
    /// with; every way of publishing (HTTP, WebSocket) goes through here.
    static func append(_ events: [Event], to store: any EventLog) async throws -> [AppendResult] {
        do {
            return try await store.append(events)
        } catch let error as EventBatchError {
            throw ProblemDetails.invalidEvent(
                error.description,
                errors: [.init(index: error.index, attribute: nil, detail: "\(error.underlying)")])
        } catch let error as EventLogError {
            throw ProblemDetails.storeError(error)
        }
    }

    func read(_ request: Request, access: TopicAccess) async throws -> Response {
        let query = request.uri.queryParameters
        var filter = EventFilter()
        if let topic = query["topic"] {
            do {
                filter.topic = try TopicPattern(String(topic))
            } catch {
                throw ProblemDetails.invalidQuery("query parameter 'topic' is not a valid pattern: \(error)")
            }
        }
        try access.checkSubscribe(filter.topic)
        filter.source = query["source"].map(String.init)
        filter.subject = query["subject"].map(String.init)
        filter.time = try Self.timeRange(from: query["time_from"], until: query["time_until"])
        let after = try Self.integer(query["after"], named: "after", default: 0, in: 0...Int64.max)
        let limit = try Self.integer(
            query["limit"], named: "limit", default: Int64(Self.defaultReadLimit),
            in: 1...Int64(Self.maximumReadLimit))

        let page: EventPage
        do {
            page = try await store.read(after: after, filter: filter, limit: Int(limit))
        } catch let error as EventLogError {
            throw ProblemDetails.storeError(error)
        }
        var body = Data(#"{"events":["#.utf8)
        for (position, stored) in page.events.enumerated() {
            if position > 0 { body.append(UInt8(ascii: ",")) }
            StoredEventJSON.append(sequence: stored.sequence, eventJSON: stored.event.jsonData(), to: &body)
        }
        body.append(contentsOf: #"],"next_after":\#(page.nextAfter)}"#.utf8)
        return Response.json(.ok, body)
    }

    /// The media type without parameters, in lower case.
    /// On every publish, so on bytes: Foundation's trimming and lower-casing cost a twentieth of the server's CPU.
    static func mediaType(of contentType: String?) -> String? {
        guard let contentType else { return nil }
        var bytes = Array(contentType.utf8.prefix { $0 != UInt8(ascii: ";") })
        while let last = bytes.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { bytes.removeLast() }
        let start = bytes.firstIndex { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") } ?? bytes.endIndex
        let lowered = bytes[start...].map { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) ? $0 | 0x20 : $0 }
        return String(decoding: lowered, as: UTF8.self)
    }

    /// The range of event times that `time_from` (inclusive) and `time_until` (exclusive), both RFC 3339,
    /// select; `nil` when neither is given. A bound left out is open: RFC 3339 allows years up to 9999, beyond
    /// `Date.distantFuture`, so an open bound reaches at least as far as the given one.
    static func timeRange(from: Substring?, until: Substring?) throws(ProblemDetails) -> Range<Date>? {
        let lower = try time(from, named: "time_from")
        let upper = try time(until, named: "time_until")
        if let from, let until, let lower, let upper, lower > upper {
            throw .invalidQuery(
                "query parameter 'time_from' (\(from)) is later than 'time_until' (\(until)); the range is "
                    + "time_from inclusive to time_until exclusive")
        }
        guard lower != nil || upper != nil else { return nil }
        let lowerBound = lower ?? min(.distantPast, upper ?? .distantPast)
        return lowerBound..<(upper ?? max(.distantFuture, lowerBound))
    }

    private static func time(_ text: Substring?, named name: String) throws(ProblemDetails) -> Date? {
        guard let text else { return nil }
        guard let date = RFC3339.parse(text) else {
            throw .invalidQuery(
                "query parameter '\(name)' must be an RFC 3339 time such as 2026-01-01T12:00:00Z, got '\(text)'")
        }
        return date
    }

    private static func integer(
        _ text: Substring?,
        named name: String,
        default value: Int64,
        in range: ClosedRange<Int64>
    ) throws(ProblemDetails) -> Int64 {
        guard let text else { return value }
        guard let number = Int64(text), range.contains(number) else {
            throw .invalidQuery(
                "query parameter '\(name)' must be an integer from \(range.lowerBound) to \(range.upperBound), "
                    + "got '\(text)'")
        }
        return number
    }
}
