/// How a live stream client is connected; the `transport` label of the stream metrics.
public enum EventStreamTransport: String, Sendable, Hashable, CaseIterable {
    /// Server-Sent Events, `GET /v1/stream`.
    case serverSentEvents = "sse"
    /// WebSocket, `GET /v1/ws`.
    case webSocket = "ws"
}
