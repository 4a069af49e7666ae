import AsyncHTTPClient
import Foundation
import Herald
import NIOCore
import NIOHTTP1

/// The events of `GET /v1/stream`, read from its Server-Sent Events as they arrive; made by
/// ``HeraldClient/stream(topic:after:lastEventID:reconnects:)``.
///
/// Each iteration opens its own connection when it first asks for an element. Each SSE message's `id`
/// is the event's sequence and its `data` the structured CloudEvent; comments (the server's heartbeats)
/// are skipped. Cancelling the iterating task closes the connection.
///
/// When the server ends the stream, cleanly or by closing the connection (as it does to a client that
/// falls too far behind), an iteration that ``reconnects`` opens it again at once with `Last-Event-ID`
/// set to the last sequence it returned, so that no event is lost or repeated, as a browser's
/// `EventSource` does; after a connection that brought no event it first waits for the server's `retry`
/// time, or a second. It throws ``HeraldClientError`` when a connection cannot be opened (the server is
/// gone) or is refused with an error status. Without ``reconnects`` it ends when the server ends the
/// stream cleanly and throws when the connection breaks.
public struct HeraldEventStream: AsyncSequence, Sendable {
    /// A stored event, with its sequence.
    public typealias Element = StoredEvent

    let client: HeraldClient
    let topic: String?
    let after: Int64?
    let lastEventID: Int64?
    /// Whether iteration resumes the stream when the server ends it.
    public let reconnects: Bool

    /// Creates an iterator; the request is sent on its first ``Iterator/next()``.
    public func makeAsyncIterator() -> Iterator {
        Iterator(stream: self)
    }

    /// Reads the stream's events one at a time.
    public struct Iterator: AsyncIteratorProtocol {
        /// How long to wait before reconnecting after a connection that brought no event, when the server
        /// set no `retry` time.
        static let defaultReconnectionDelay = Duration.seconds(1)

        private let stream: HeraldEventStream
        private var body: HTTPClientResponse.Body.AsyncIterator?
        private var url = ""
        private var parser = ServerSentEventParser()
        private var pending: [ServerSentEvent] = []
        private var pendingIndex = 0
        private var isFinished = false
        /// The sequence of the last event returned: where a reconnection resumes.
        private var lastSequence: Int64?
        /// Whether the current connection has brought an event.
        private var hasReceivedSinceOpening = false

        init(stream: HeraldEventStream) {
            self.stream = stream
        }

        /// The next event, waiting for the server to send it; `nil` once the server ended a stream that
        /// does not reconnect.
        ///
        /// - Throws: ``HeraldClientError``, or `CancellationError` when the task is cancelled.
        public mutating func next() async throws -> StoredEvent? {
            while !isFinished {
                if pendingIndex < pending.count {
                    let message = pending[pendingIndex]
                    pendingIndex += 1
                    let stored = try storedEvent(from: message)
                    lastSequence = stored.sequence
                    hasReceivedSinceOpening = true
                    return stored
                }
                if body == nil {
                    body = try await open()
                }
                let chunk: ByteBuffer?
                do {
                    chunk = try await body?.next()
                } catch {
                    if Task.isCancelled {
                        isFinished = true
                        throw CancellationError()
                    }
                    guard stream.reconnects else {
                        isFinished = true
                        throw HeraldClient.connectionError(error, url: url)
                    }
                    try await prepareToReconnect()
                    continue
                }
                guard let chunk else {
                    guard stream.reconnects else {
                        isFinished = true
                        return nil
                    }
                    try await prepareToReconnect()
                    continue
                }
                do {
                    pending = try parser.parse(chunk.readableBytesView)
                    pendingIndex = 0
                } catch {
                    isFinished = true
                    throw HeraldClientError.invalidResponse(url: url, reason: error.description)
                }
            }
            return nil
        }

        /// Drops the ended connection; after one that brought nothing, waits before the next.
        private mutating func prepareToReconnect() async throws {
            body = nil
            pending = []
            pendingIndex = 0
            let delay = parser.reconnectionTime.map { Duration.milliseconds($0) } ?? Self.defaultReconnectionDelay
            parser = ServerSentEventParser()
            if !hasReceivedSinceOpening {
                do {
                    try await Task.sleep(for: delay)
                } catch {
                    isFinished = true
                    throw error
                }
            }
        }

        private mutating func open() async throws -> HTTPClientResponse.Body.AsyncIterator {
            let client = stream.client
            do {
                url = try client.url(
                    path: "/v1/stream",
                    query: [
                        ("topic", stream.topic), ("after", lastSequence == nil ? stream.after.map(String.init) : nil),
                    ])
            } catch {
                isFinished = true
                throw error
            }
            var request = HTTPClientRequest(url: url)
            request.headers.add(name: "Accept", value: "text/event-stream")
            client.addCommonHeaders(to: &request)
            if let resumeAfter = lastSequence ?? stream.lastEventID {
                request.headers.add(name: "Last-Event-ID", value: String(resumeAfter))
            }
            let response: HTTPClientResponse
            do {
                response = try await client.execute(request, url: url, timeout: client.requestTimeout)
            } catch {
                isFinished = true
                throw error
            }
            let status = Int(response.status.code)
            let contentType = response.headers.first(name: "Content-Type")
            guard status == 200 else {
                isFinished = true
                let body =
                    (try? await response.body.collect(upTo: 64 * 1024)).map { Data($0.readableBytesView) } ?? Data()
                throw HeraldClient.statusError(url: url, status: status, contentType: contentType, body: body)
            }
            guard contentType?.lowercased().hasPrefix("text/event-stream") ?? false else {
                isFinished = true
                throw HeraldClientError.invalidResponse(
                    url: url, reason: "expected Content-Type text/event-stream, got \(contentType ?? "none")")
            }
            hasReceivedSinceOpening = false
            return response.body.makeAsyncIterator()
        }

        private mutating func storedEvent(from message: ServerSentEvent) throws(HeraldClientError) -> StoredEvent {
            guard let id = message.lastEventID, let sequence = Int64(id) else {
                isFinished = true
                throw .invalidResponse(
                    url: url,
                    reason: "an event's id is \(message.lastEventID.map { "'\($0)'" } ?? "missing"), "
                        + "not its sequence number")
            }
            do {
                return StoredEvent(sequence: sequence, event: try Event.decode(json: Data(message.data.utf8)))
            } catch {
                isFinished = true
                throw .invalidResponse(url: url, reason: "the data of event \(id) is not a valid CloudEvent: \(error)")
            }
        }
    }
}
