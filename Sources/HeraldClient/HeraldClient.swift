import AsyncHTTPClient
import Foundation
import Herald
import NIOCore
import NIOHTTP1

/// A typed client for the HTTP API of `herald serve` (version 1): publish, read, stream, consumer groups
/// and topics.
///
/// Calls throw ``HeraldClientError``: the server's RFC 9457 problem when it sent one, the status and body
/// text when it sent something else, or a connection failure naming the URL (and `CancellationError` when
/// the calling task is cancelled).
///
/// ```swift
/// let client = HeraldClient(baseURL: URL(string: "http://127.0.0.1:8080")!)
/// let result = try await client.publish(Event(source: "/shop", type: "orders.placed"))
/// for try await stored in client.stream(topic: "orders.>") { print(stored.sequence, stored.event.type) }
/// ```
public struct HeraldClient: Sendable {
    /// The server's address, such as `http://127.0.0.1:8080`; API paths are appended to its path.
    public let baseURL: URL
    /// Sent as `Authorization: Bearer <apiKey>` when set.
    public let apiKey: String?
    /// The HTTP client that carries the requests. Its owner shuts it down; ``HTTPClient/shared`` never is.
    public let httpClient: HTTPClient
    /// How long a request may take until the response's head arrives (a poll adds its wait to it). With
    /// ``HTTPClient/shared``, which retries refused connections, this is also how long an unreachable
    /// server takes to be reported; see ``fastFailingConfiguration``.
    public var requestTimeout: Duration
    /// The largest response body read, in bytes; a larger one fails with
    /// ``HeraldClientError/invalidResponse(url:reason:)``.
    public var maximumResponseBytes = 64 * 1024 * 1024

    /// Creates a client for the server at `baseURL`.
    public init(
        baseURL: URL,
        apiKey: String? = nil,
        httpClient: HTTPClient = .shared,
        requestTimeout: Duration = .seconds(30)
    ) {
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.httpClient = httpClient
        self.requestTimeout = requestTimeout
    }

    /// An `HTTPClient` configuration that reports a refused connection at once, instead of retrying it
    /// until the request times out as ``HTTPClient/shared`` does, and sets no read timeout, so that a quiet
    /// stream stays open. For command-line tools and tests.
    public static var fastFailingConfiguration: HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration(
            timeout: .init(connect: .seconds(5), read: nil))
        configuration.connectionPool.retryConnectionEstablishment = false
        return configuration
    }

    // MARK: Publish

    /// Publishes events: one in the structured mode of the CloudEvents HTTP binding, several as one batch,
    /// which the server stores all or none of.
    ///
    /// - Returns: What the server did with each event, in order. A repeat of a stored (source, id) comes
    ///   back with ``PublishResult/isDuplicate`` and the original sequence. No events: no request, `[]`.
    /// - Throws: ``HeraldClientError``; for an invalid batch the problem lists each bad event's index.
    public func publish(_ events: [Event]) async throws -> [PublishResult] {
        guard !events.isEmpty else { return [] }
        let single = events.count == 1
        let response = try await send(
            .POST, path: "/v1/events",
            contentType: single ? Event.jsonMediaType : Event.jsonBatchMediaType,
            body: single ? events[0].jsonData() : Event.jsonBatchData(events))
        return try Self.publishResults(in: response.json, count: events.count)
    }

    /// The results of `count` published events in an answer `{"events":[...]}`.
    static func publishResults(in answer: ResponseJSON, count: Int) throws(HeraldClientError) -> [PublishResult] {
        let entries = try answer.member("events").elements()
        guard entries.count == count else {
            throw answer.invalid("it reports \(entries.count) results for \(count) published events")
        }
        var results: [PublishResult] = []
        for entry in entries {
            results.append(
                PublishResult(
                    id: try entry.member("id").string(),
                    source: try entry.member("source").string(),
                    sequence: try entry.optionalMember("sequence")?.int64(),
                    isDuplicate: try entry.member("duplicate").bool(),
                    isScheduled: try entry.optionalMember("scheduled")?.bool() ?? false))
        }
        return results
    }

    /// Publishes one event in the structured mode; see ``publish(_:)-([Event])``.
    public func publish(_ event: Event) async throws -> PublishResult {
        try await publish([event])[0]
    }

    // MARK: Read

    /// Reads one page of stored events (`GET /v1/events`), oldest first.
    ///
    /// - Parameters:
    ///   - topic: A pattern the event types must match, such as `orders.*` or `orders.>`.
    ///   - source: Only events with this `source`.
    ///   - subject: Only events with this `subject`.
    ///   - from: Only events whose `time` is at or after this instant (`time_from`).
    ///   - until: Only events whose `time` is before this instant (`time_until`). With `from` or `until`,
    ///     events without a `time` are left out.
    ///   - after: Only events with a higher sequence; pass the previous page's `nextAfter` to read on.
    ///   - limit: At most this many events (the server's default is 100, its maximum 1000).
    public func query(
        topic: String? = nil,
        source: String? = nil,
        subject: String? = nil,
        from: Date? = nil,
        until: Date? = nil,
        after: Int64? = nil,
        limit: Int? = nil
    ) async throws -> EventPage {
        let response = try await send(
            .GET, path: "/v1/events",
            query: [
                ("topic", topic), ("source", source), ("subject", subject),
                ("time_from", from.map(RFC3339.format)), ("time_until", until.map(RFC3339.format)),
                ("after", after.map(String.init)), ("limit", limit.map(String.init)),
            ])
        return EventPage(
            events: try response.member("events").elements().map { try $0.storedEvent() },
            nextAfter: try response.member("next_after").int64())
    }

    /// Streams events as the server stores them (`GET /v1/stream`, Server-Sent Events).
    ///
    /// Nothing is sent until the sequence is iterated. With neither `after` nor `lastEventID` the stream
    /// starts with events stored from then on. With `reconnects` (the default) the iteration resumes
    /// the stream whenever the server ends it, as ``HeraldEventStream`` describes, and goes on until the
    /// task is cancelled or the server cannot be reached; without, it ends with the server's stream.
    ///
    /// - Parameters:
    ///   - topic: A pattern the event types must match.
    ///   - after: Start after this sequence.
    ///   - lastEventID: Resume after this sequence, sent as the `Last-Event-ID` header.
    ///   - reconnects: Whether to resume the stream when the server ends it.
    public func stream(
        topic: String? = nil, after: Int64? = nil, lastEventID: Int64? = nil, reconnects: Bool = true
    ) -> HeraldEventStream {
        HeraldEventStream(client: self, topic: topic, after: after, lastEventID: lastEventID, reconnects: reconnects)
    }

    // MARK: Operations

    /// Each event type the server has seen (`GET /v1/topics`), with its count, last sequence and rate.
    public func topics() async throws -> [TopicSummary] {
        let response = try await send(.GET, path: "/v1/topics")
        return try response.list("topics").map { try TopicSummary(json: $0) }
    }
}

// MARK: - Requests

extension HeraldClient {
    /// A request's answer: the body parsed, with where it came from for error messages.
    struct Response {
        var status: Int
        var json: ResponseJSON
    }

    /// Sends a request and returns the parsed body of a 2xx answer (an empty body reads as `{}`).
    @discardableResult
    func send(
        _ method: HTTPMethod,
        path: String,
        query: [(String, String?)] = [],
        headers extraHeaders: [(String, String)] = [],
        contentType: String? = nil,
        body: Data? = nil,
        extraTime: Duration = .zero
    ) async throws -> Response {
        let url = try url(path: path, query: query)
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json, \(HeraldProblem.mediaType)")
        addCommonHeaders(to: &request)
        for (name, value) in extraHeaders { request.headers.add(name: name, value: value) }
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }

        let response = try await execute(request, url: url, timeout: requestTimeout + extraTime)
        let data: Data
        do {
            data = Data(try await response.body.collect(upTo: maximumResponseBytes).readableBytesView)
        } catch is NIOTooManyBytesError {
            throw HeraldClientError.invalidResponse(
                url: url, reason: "the body is larger than the client's limit of \(maximumResponseBytes) bytes")
        } catch {
            throw Self.connectionError(error, url: url)
        }
        let status = Int(response.status.code)
        guard (200..<300).contains(status) else {
            throw Self.statusError(
                url: url, status: status, contentType: response.headers.first(name: "Content-Type"), body: data)
        }
        guard !data.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }) else {
            return Response(status: status, json: ResponseJSON(json: RawJSON(kind: .object([:]), text: data), url: url))
        }
        do {
            return Response(status: status, json: ResponseJSON(json: try RawJSON.parse(data), url: url))
        } catch {
            throw HeraldClientError.invalidResponse(url: url, reason: "the body is not JSON: \(error)")
        }
    }

    /// Executes a request until its response head arrives, turning failures into ``HeraldClientError``.
    func execute(_ request: HTTPClientRequest, url: String, timeout: Duration) async throws -> HTTPClientResponse {
        do {
            return try await httpClient.execute(request, timeout: TimeAmount(timeout))
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw Self.connectionError(error, url: url)
        }
    }

    func addCommonHeaders(to request: inout HTTPClientRequest) {
        request.headers.add(name: "User-Agent", value: "herald-client")
        if let apiKey { request.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
    }

    /// The absolute URL of an API path, with the query parameters that have values, each percent-encoded.
    func url(path: String, query: [(String, String?)] = []) throws(HeraldClientError) -> String {
        guard var components = URLComponents(url: baseURL, resolvingAgainstBaseURL: true),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            components.host?.isEmpty == false
        else {
            throw .invalidRequest(
                "the server address '\(baseURL.absoluteString)' is not an http:// or https:// URL with a host; "
                    + "use one such as 'http://127.0.0.1:8080'")
        }
        var basePath = components.percentEncodedPath
        while basePath.hasSuffix("/") { basePath.removeLast() }
        components.percentEncodedPath = basePath + path
        let items = query.compactMap { name, value in value.map { "\(name)=\(Self.percentEncoded($0))" } }
        components.percentEncodedQuery = items.isEmpty ? nil : items.joined(separator: "&")
        components.fragment = nil
        guard let url = components.string else {
            throw .invalidRequest("cannot build a URL from '\(baseURL.absoluteString)' and '\(path)'")
        }
        return url
    }

    /// `text` with every byte but the URI's unreserved characters percent-encoded, for a path segment or
    /// a query value.
    static func percentEncoded(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                result += String(format: "%%%02X", byte)
            }
        }
        return result
    }

    /// The error for an answer with a status other than 2xx: its problem, or its status and text.
    static func statusError(url: String, status: Int, contentType: String?, body: Data) -> HeraldClientError {
        let mediaType = contentType?.prefix { $0 != ";" }.trimmingCharacters(in: .whitespaces).lowercased()
        if mediaType == HeraldProblem.mediaType, let json = try? RawJSON.parse(body),
            let problem = HeraldProblem(json: json, responseStatus: status)
        {
            return .problem(problem)
        }
        return .unexpectedStatus(
            url: url, status: status, body: String(decoding: body.prefix(64 * 1024), as: UTF8.self))
    }

    static func connectionError(_ error: any Error, url: String) -> HeraldClientError {
        if let error = error as? HeraldClientError { return error }
        if let error = error as? HTTPClientError, error == .deadlineExceeded {
            return .connectionFailed(url: url, reason: "no answer within the request timeout")
        }
        if let error = error as? IOError {
            return .connectionFailed(url: url, reason: String(cString: strerror(error.errnoCode)))
        }
        return .connectionFailed(url: url, reason: String(describing: error))
    }
}

extension TimeAmount {
    /// The duration, to the nanosecond.
    fileprivate init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
