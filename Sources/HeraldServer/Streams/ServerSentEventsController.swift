import Foundation
import HTTPTypes
import Herald
import Hummingbird
import NIOCore
import ServiceLifecycle

/// `GET /v1/stream`: the events of the log as Server-Sent Events, live.
///
/// Query `topic=PATTERN` (every event without it) and `after=SEQ`; the `Last-Event-ID` header wins over
/// `after`; with neither the stream starts with the events appended from the request on. Each event is
/// written as
///
/// ```
/// id: <sequence>
/// event: <type>
/// data: <the event in the structured CloudEvents JSON format, on one line>
///
/// ```
///
/// and a `: heartbeat` comment follows every heartbeat interval. The stream ends, with the connection, when
/// the client falls more than the hub's buffer limit behind (it can reconnect with `Last-Event-ID` and
/// lose nothing) or the server shuts down.
public struct ServerSentEventsController: Sendable {
    let hub: EventStreamHub
    let heartbeatInterval: Duration

    /// Creates the route over `hub`, with a heartbeat every `heartbeatInterval`.
    public init(hub: EventStreamHub, heartbeatInterval: Duration) {
        self.hub = hub
        self.heartbeatInterval = heartbeatInterval
    }

    /// Adds `GET` to `group`, which should be `/v1/stream`.
    public func addRoutes(to group: RouterGroup<HeraldRequestContext>) {
        group.on(method: .get, scope: .subscribe) { request, context in
            try await stream(request, access: context.topicAccess)
        }
    }

    /// The media type of a Server-Sent Events stream.
    static let mediaType = "text/event-stream"

    func stream(_ request: Request, access: TopicAccess = .unrestricted) async throws -> Response {
        let parameters = try StreamParameters(request: request, readsLastEventID: true)
        try access.checkSubscribe(parameters.topic)
        let after: Int64
        do {
            if let given = parameters.after {
                after = given
            } else {
                after = try await hub.store.lastSequence()
            }
        } catch let error as EventLogError {
            var problem = ProblemDetails.storeError(error)
            problem.detail = "cannot find the end of the event log: " + problem.detail
            throw problem
        } catch {
            throw ProblemDetails.storeFailure("cannot find the end of the event log: \(error)")
        }
        let hub = self.hub
        let heartbeatInterval = self.heartbeatInterval
        return Response(
            status: .ok,
            headers: [.contentType: Self.mediaType, .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                let termination = StreamTermination()
                try await withGracefulShutdownHandler {
                    try await request.body.consumeWithInboundCloseHandler { _ in
                        try await termination.cancelling {
                            var subscription = hub.subscribe(
                                topic: parameters.topic, after: after, transport: .serverSentEvents,
                                termination: termination)
                            defer { subscription.close() }
                            try await withThrowingTaskGroup(of: Void.self) { group in
                                let client = subscription.client
                                group.addTask {
                                    while true {
                                        try await Task.sleep(for: heartbeatInterval)
                                        client.sendHeartbeat()
                                    }
                                }
                                defer { group.cancelAll() }
                                while let message = try await subscription.next() {
                                    try await writer.write(Self.encode(message))
                                }
                            }
                        }
                    } onInboundClosed: {
                        termination.end(.clientDisconnected)
                    }
                } onGracefulShutdown: {
                    termination.end(.serverShutdown)
                }
                // The hub ended the stream; closing the connection tells the client to reconnect.
                throw StreamEnded(reason: termination.endReason ?? .serverShutdown)
            })
    }

    static let heartbeat = ByteBuffer(string: ": heartbeat\n\n")

    /// The bytes of one message. A line break in the type would end the `event:` field early, so it is sent
    /// as a space; the JSON goes on one line as is, since CR and LF can only be whitespace between its
    /// tokens.
    static func encode(_ message: StreamMessage) -> ByteBuffer {
        guard case .event(let event) = message else { return heartbeat }
        var buffer = ByteBuffer()
        buffer.reserveCapacity(event.json.count + event.type.utf8.count + 40)
        buffer.writeString("id: \(event.sequence)\nevent: ")
        buffer.writeBytes(event.type.utf8.map(oneLine))
        buffer.writeString("\ndata: ")
        buffer.writeBytes(event.json.map(oneLine))
        buffer.writeString("\n\n")
        return buffer
    }

    private static func oneLine(_ byte: UInt8) -> UInt8 {
        byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") ? UInt8(ascii: " ") : byte
    }
}
