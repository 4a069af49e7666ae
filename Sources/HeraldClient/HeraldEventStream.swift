import AsyncHTTPClient
import Foundation
import Herald
import NIOCore
import NIOHTTP1

/// The events of `GET /v1/stream`, read from its Server-Sent Events as they arrive; made by
/// ``HeraldClient/stream(topic:after:lastEventID:)``.
///
/// Each iteration opens its own connection when it first asks for an element. Each SSE message's `id`
/// is the event's sequence and its `data` the structured CloudEvent; comments (the server's heartbeats)
/// are skipped. The iteration ends when the server closes the stream and throws ``HeraldClientError``
/// when it cannot be opened or the connection breaks; cancelling the iterating task closes it.
public struct HeraldEventStream: AsyncSequence, Sendable {
    /// A stored event, with its sequence.
    public typealias Element = StoredEvent

    let client: HeraldClient
    let topic: String?
    let after: Int64?
    let lastEventID: Int64?

    /// Creates an iterator; the request is sent on its first ``Iterator/next()``.
    public func makeAsyncIterator() -> Iterator {
        Iterator(stream: self)
    }

    /// Reads the stream's events one at a time.
    public struct Iterator: AsyncIteratorProtocol {
        private let stream: HeraldEventStream
        private var body: HTTPClientResponse.Body.AsyncIterator?
        private var url = ""
        private var parser = ServerSentEventParser()
        private var pending: [ServerSentEvent] = []
        private var pendingIndex = 0
        private var isFinished = false

        init(stream: HeraldEventStream) {
            self.stream = stream
        }

        /// The next event, waiting for the server to send it; `nil` once the server closed the stream.
        ///
        /// - Throws: ``HeraldClientError``, or `CancellationError` when the task is cancelled.
        public mutating func next() async throws -> StoredEvent? {
            while !isFinished {
                if pendingIndex < pending.count {
                    let message = pending[pendingIndex]
                    pendingIndex += 1
                    return try storedEvent(from: message)
                }
                if body == nil {
                    body = try await open()
                }
                let chunk: ByteBuffer?
                do {
                    chunk = try await body?.next()
                } catch {
                    isFinished = true
                    if Task.isCancelled { throw CancellationError() }
                    throw HeraldClient.connectionError(error, url: url)
                }
                guard let chunk else {
                    isFinished = true
                    return nil
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

        private mutating func open() async throws -> HTTPClientResponse.Body.AsyncIterator {
            let client = stream.client
            do {
                url = try client.url(
                    path: "/v1/stream",
                    query: [("topic", stream.topic), ("after", stream.after.map(String.init))])
            } catch {
                isFinished = true
                throw error
            }
            var request = HTTPClientRequest(url: url)
            request.headers.add(name: "Accept", value: "text/event-stream")
            client.addCommonHeaders(to: &request)
            if let lastEventID = stream.lastEventID {
                request.headers.add(name: "Last-Event-ID", value: String(lastEventID))
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
