/// One message of a Server-Sent Events stream, as the `text/event-stream` format defines it.
public struct ServerSentEvent: Sendable, Hashable {
    /// The `event` field: the message's type, `message` when the server sent none.
    public var type: String
    /// The `data` fields joined with line feeds.
    public var data: String
    /// The last `id` the stream set, at or before this message; `nil` when it set none.
    ///
    /// Send it as `Last-Event-ID` when reconnecting to resume after this message.
    public var lastEventID: String?

    /// Creates a message.
    public init(type: String = "message", data: String, lastEventID: String? = nil) {
        self.type = type
        self.data = data
        self.lastEventID = lastEventID
    }
}
