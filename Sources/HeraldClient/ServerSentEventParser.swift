/// Reads the Server-Sent Events wire format (`text/event-stream`) incrementally, from chunks split anywhere.
///
/// Follows the WHATWG HTML "event stream interpretation": lines end with CRLF, LF or CR (also when a
/// CRLF is split across chunks); a leading byte order mark is skipped; lines starting with `:` are
/// comments; a field's value loses one leading space; `data` lines accumulate, joined with LF; an empty
/// line dispatches the message, unless it has no data; `id` persists until changed and is ignored when
/// it contains NUL; `retry` sets ``reconnectionTime``; unknown fields are ignored. A message not ended by
/// an empty line when the stream ends is never dispatched.
public struct ServerSentEventParser: Sendable {
    /// A line longer than the parser accepts.
    public struct LineTooLongError: Error, Sendable, Hashable, CustomStringConvertible {
        /// The limit the line went over, in bytes.
        public var maximumLineLength: Int

        /// Says what went wrong.
        public var description: String {
            "the event stream sent a line longer than \(maximumLineLength) bytes"
        }
    }

    /// The longest line accepted, in bytes.
    public let maximumLineLength: Int
    /// The last `retry` field's value, in milliseconds: how long the server asks clients to wait before
    /// reconnecting.
    public private(set) var reconnectionTime: Int?

    private var line: [UInt8] = []
    private var lastByteWasCR = false
    private var atStreamStart = true
    private var data = ""
    private var hasData = false
    private var eventType = ""
    private var lastEventID: String?

    /// Creates a parser for a new stream.
    public init(maximumLineLength: Int = 64 * 1024 * 1024) {
        self.maximumLineLength = maximumLineLength
    }

    /// Consumes the next bytes of the stream and returns the messages they complete, in order.
    ///
    /// - Throws: ``LineTooLongError`` when a line grows past ``maximumLineLength``; the parser must not be
    ///   used again after that.
    public mutating func parse(_ bytes: some Sequence<UInt8>) throws(LineTooLongError) -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        for byte in bytes {
            if lastByteWasCR {
                lastByteWasCR = false
                if byte == UInt8(ascii: "\n") { continue }
            }
            switch byte {
            case UInt8(ascii: "\n"):
                if let event = endLine() { events.append(event) }
            case UInt8(ascii: "\r"):
                lastByteWasCR = true
                if let event = endLine() { events.append(event) }
            default:
                guard line.count < maximumLineLength else {
                    throw LineTooLongError(maximumLineLength: maximumLineLength)
                }
                line.append(byte)
            }
        }
        return events
    }

    /// Interprets the completed line, returning the message an empty line dispatches.
    private mutating func endLine() -> ServerSentEvent? {
        defer { line.removeAll(keepingCapacity: true) }
        var bytes = line[...]
        if atStreamStart {
            atStreamStart = false
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        }
        if bytes.isEmpty { return dispatch() }
        if bytes.first == UInt8(ascii: ":") { return nil }

        let name: String
        var value: ArraySlice<UInt8>
        if let colon = bytes.firstIndex(of: UInt8(ascii: ":")) {
            name = String(decoding: bytes[..<colon], as: UTF8.self)
            value = bytes[(colon + 1)...]
            if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
        } else {
            name = String(decoding: bytes, as: UTF8.self)
            value = []
        }
        let text = String(decoding: value, as: UTF8.self)
        switch name {
        case "event":
            eventType = text
        case "data":
            if hasData { data.append("\n") }
            data.append(text)
            hasData = true
        case "id":
            if !value.contains(0) { lastEventID = text }
        case "retry":
            if !value.isEmpty, value.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) {
                reconnectionTime = Int(text)
            }
        default:
            break
        }
        return nil
    }

    private mutating func dispatch() -> ServerSentEvent? {
        defer {
            data = ""
            hasData = false
            eventType = ""
        }
        guard hasData else { return nil }
        return ServerSentEvent(type: eventType.isEmpty ? "message" : eventType, data: data, lastEventID: lastEventID)
    }
}
