import Foundation
import HTTPTypes
import Herald
import Hummingbird
import NIOCore

/// An error response in the RFC 9457 format (`application/problem+json`): what kind of problem, a title,
/// the HTTP status, and a detail that says what was wrong and how to fix it.
///
/// Handlers throw it; Hummingbird turns it into the response.
public struct ProblemDetails: Error, Sendable, Hashable, Codable {
    /// One offending event of a batch.
    public struct EventError: Sendable, Hashable, Codable {
        /// The 0-based position of the event in the batch.
        public var index: Int
        /// The attribute at fault, when one is.
        public var attribute: String?
        /// What is wrong with the event and how to fix it.
        public var detail: String

        /// Creates an entry.
        public init(index: Int, attribute: String?, detail: String) {
            self.index = index
            self.attribute = attribute
            self.detail = detail
        }
    }

    /// The media type of a problem body.
    public static let mediaType = "application/problem+json"

    /// A URI naming the kind of problem.
    public var type: String
    /// A short summary of the kind of problem, the same for every occurrence.
    public var title: String
    /// The HTTP status code; the body's `status` member.
    public var statusCode: Int
    /// This occurrence: what was wrong and how to fix it.
    public var detail: String
    /// For a batch, every offending event by index; `nil` otherwise.
    public var errors: [EventError]?
    /// The body field at fault as a dotted path, such as `cron.hour` or `event.source`, when one is.
    public var field: String?
    /// When set, the response's `Retry-After` header: how many seconds the client should wait before trying
    /// again. Not part of the body.
    public var retryAfterSeconds: Int? = nil

    private enum CodingKeys: String, CodingKey {
        case type, title, statusCode = "status", detail, errors, field
    }

    /// Creates a problem.
    public init(
        type: String, title: String, status: Int, detail: String, errors: [EventError]? = nil, field: String? = nil
    ) {
        self.type = type
        self.title = title
        self.statusCode = status
        self.detail = detail
        self.errors = errors
        self.field = field
    }

    /// An event, batch or its attributes broke the CloudEvents rules or was not valid JSON (400).
    static func invalidEvent(_ detail: String, errors: [EventError]? = nil) -> ProblemDetails {
        ProblemDetails(
            type: "urn:herald:problem:invalid-event", title: "Invalid event", status: 400, detail: detail,
            errors: errors)
    }

    /// A query parameter was out of range or malformed (400).
    static func invalidQuery(_ detail: String) -> ProblemDetails {
        ProblemDetails(type: "urn:herald:problem:invalid-query", title: "Invalid query", status: 400, detail: detail)
    }

    /// The path names nothing this server has (404).
    static func notFound(_ detail: String) -> ProblemDetails {
        ProblemDetails(type: "urn:herald:problem:not-found", title: "Not found", status: 404, detail: detail)
    }

    /// The body was larger than the server accepts (413).
    static func bodyTooLarge(limit: Int) -> ProblemDetails {
        ProblemDetails(
            type: "urn:herald:problem:body-too-large", title: "Request body too large", status: 413,
            detail: "the request body is larger than the \(limit) bytes this server accepts; send fewer events "
                + "per request, or start the server with a larger --max-body-bytes")
    }

    /// The body's content type is not one the endpoint reads (415).
    static func unsupportedMediaType(_ detail: String) -> ProblemDetails {
        ProblemDetails(
            type: "urn:herald:problem:unsupported-media-type", title: "Unsupported media type", status: 415,
            detail: detail)
    }

    /// The request has no valid API key (401); the response carries a `WWW-Authenticate: Bearer` challenge.
    static func unauthorized(_ detail: String) -> ProblemDetails {
        ProblemDetails(
            type: "urn:herald:problem:unauthorized", title: "Unauthorized", status: 401, detail: detail)
    }

    /// The request's API key lacks the scope the route needs (403).
    static func forbidden(_ detail: String) -> ProblemDetails {
        ProblemDetails(type: "urn:herald:problem:forbidden", title: "Forbidden", status: 403, detail: detail)
    }

    /// The request's API key is over its rate limit (429, with `Retry-After`).
    static func rateLimited(key: String, limit: RateLimit, retryAfterSeconds: Int) -> ProblemDetails {
        var problem = ProblemDetails(
            type: "urn:herald:problem:rate-limited", title: "Too many requests", status: 429,
            detail: "API key '\(key)' is over its rate limit of \(limit) requests; try again in \(retryAfterSeconds) "
                + "s (see Retry-After), or ask the server's operator for a higher limit")
        problem.retryAfterSeconds = retryAfterSeconds
        return problem
    }

    /// The request's API key may not use the topic, group or schedule it asked for (403). The detail names the key
    /// and what was asked for, and nothing about other topics.
    static func topicForbidden(_ detail: String, errors: [EventError]? = nil) -> ProblemDetails {
        ProblemDetails(
            type: "urn:herald:problem:forbidden", title: "Forbidden", status: 403, detail: detail, errors: errors)
    }

    /// The store cannot serve requests (503).
    static func storeUnavailable(_ detail: String) -> ProblemDetails {
        ProblemDetails(
            type: "urn:herald:problem:store-unavailable", title: "Store unavailable", status: 503, detail: detail)
    }

    /// The store cannot be reached for now, as while its database restarts (503, `Retry-After: 1`); the
    /// request may be sent again. A publish that got this answer may or may not have been stored: sending it
    /// again is safe, since events are idempotent by source and id.
    static func storeOutage(_ detail: String) -> ProblemDetails {
        var problem = ProblemDetails(
            type: "urn:herald:problem:store-unavailable", title: "Store unavailable", status: 503, detail: detail)
        problem.retryAfterSeconds = 1
        return problem
    }

    /// The problem for an ``EventLogError`` a store threw while serving a request: the one mapping of store errors
    /// for every route. ``EventLogError/Code/invalidArgument`` is `400 invalid-request` (the message says which
    /// argument and why); ``EventLogError/Code/groupNotFound`` is `404` for `group`, the group the request named;
    /// ``EventLogError/Code/groupConflict`` is `409`; ``EventLogError/Code/unavailable`` is `503` with
    /// `Retry-After`; a closed store is `503`; anything else `500`.
    static func storeError(_ error: EventLogError, group: String? = nil) -> ProblemDetails {
        switch error.code {
        case .invalidArgument: .invalidRequest(error.message)
        case .groupNotFound: group.map(ProblemDetails.groupNotFound) ?? .notFound(error.message)
        case .groupConflict: .groupConflict(error.message)
        case .unavailable: .storeOutage(error.message)
        case .closed: .storeUnavailable(error.message)
        default: .storeFailure(error.message)
        }
    }

    /// The store refused an argument of the request, such as an attribute it cannot keep or a limit out of its
    /// range (400).
    static func invalidRequest(_ detail: String) -> ProblemDetails {
        ProblemDetails(
            type: "urn:herald:problem:invalid-request", title: "Invalid request", status: 400, detail: detail)
    }

    /// A JSON request body was malformed, missing a field, or had a field of the wrong type or range (400).
    static func invalidBody(_ detail: String) -> ProblemDetails {
        ProblemDetails(
            type: "urn:herald:problem:invalid-body", title: "Invalid request body", status: 400, detail: detail)
    }

    /// A consumer group name in the path broke the naming rule (400).
    static func invalidGroupName(_ name: String) -> ProblemDetails {
        ProblemDetails(
            type: "urn:herald:problem:invalid-group-name", title: "Invalid consumer group name", status: 400,
            detail: "consumer group name '\(name.prefix(140))' is invalid: use 1-128 letters, digits, '-', '_' or '.'")
    }

    /// No consumer group has the name in the path (404).
    static func groupNotFound(_ name: String) -> ProblemDetails {
        ProblemDetails(
            type: "urn:herald:problem:group-not-found", title: "Consumer group not found", status: 404,
            detail: "no consumer group named '\(name)'; create it with PUT /v1/groups/\(name) and a body such as "
                + #"{"topic":"orders.>"}"#)
    }

    /// A consumer group exists with other settings than the request's (409).
    static func groupConflict(_ detail: String) -> ProblemDetails {
        ProblemDetails(
            type: "urn:herald:problem:group-conflict", title: "Consumer group exists with other settings", status: 409,
            detail: detail)
    }

    /// The store failed while handling the request (500).
    static func storeFailure(_ detail: String) -> ProblemDetails {
        ProblemDetails(type: "urn:herald:problem:storage", title: "Storage failure", status: 500, detail: detail)
    }

    /// A stream's `Last-Event-ID` header is not a sequence number (400).
    static func invalidLastEventID(_ value: String) -> ProblemDetails {
        ProblemDetails(
            type: "urn:herald:problem:invalid-header", title: "Invalid header", status: 400,
            detail: "header 'Last-Event-ID' must be the sequence of the last event received, an integer from 0 to "
                + "\(Int64.max), got '\(value)'; send the 'id' of the last event the stream delivered, or leave the "
                + "header out")
    }

    /// `GET /v1/ws` without a WebSocket upgrade (426).
    static func webSocketUpgradeRequired() -> ProblemDetails {
        ProblemDetails(
            type: "urn:herald:problem:upgrade-required", title: "Upgrade required", status: 426,
            detail: "/v1/ws speaks WebSocket only: connect with a WebSocket client (ws://HOST:PORT/v1/ws), which "
                + "sends 'Connection: Upgrade' and 'Upgrade: websocket'; for a plain HTTP stream use /v1/stream")
    }

    /// A WebSocket client without the `publish` scope sent an event (403).
    static func publishScopeRequired() -> ProblemDetails {
        ProblemDetails(
            type: "urn:herald:problem:forbidden", title: "Forbidden", status: 403,
            detail: "publishing needs an API key with the 'publish' scope, and this connection's key lacks it; "
                + "connect with a key that has it, or only read from this socket")
    }

    /// The problem in its JSON form, the body of a problem response.
    func jsonData() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Strings, integers and arrays of them always encode.
        return (try? encoder.encode(self)) ?? Data()
    }
}

extension ProblemDetails: HTTPResponseError {
    public var status: HTTPResponse.Status { HTTPResponse.Status(code: statusCode) }

    public var headers: HTTPFields {
        var fields: HTTPFields = [.contentType: Self.mediaType]
        if statusCode == 401 {
            fields[.wwwAuthenticate] = #"Bearer realm="herald""#
        }
        if let retryAfterSeconds {
            fields[.retryAfter] = String(retryAfterSeconds)
        }
        return fields
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(status: status, headers: headers, body: ResponseBody(byteBuffer: jsonBody()))
    }

    /// The problem in its JSON form.
    func jsonBody() -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding strings, integers and arrays of them cannot fail.
        return ByteBuffer(bytes: (try? encoder.encode(self)) ?? Data())
    }
}
