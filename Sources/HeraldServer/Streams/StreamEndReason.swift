/// Why the server ended a live stream.
enum StreamEndReason: Sendable, Hashable {
    /// The client closed its connection.
    case clientDisconnected
    /// The client fell more messages behind than its buffer holds; it may reconnect and resume.
    case fellBehind
    /// The server is shutting down.
    case serverShutdown
    /// The store failed while the stream followed it; the client may reconnect and resume.
    case storeFailure
}

/// Thrown out of a stream's writing when the stream was ended from outside, for ``reason``.
struct StreamEnded: Error, Hashable {
    /// Why the stream ended.
    var reason: StreamEndReason
}
