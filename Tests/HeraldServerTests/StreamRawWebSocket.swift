import NIOCore
import NIOPosix
import Testing

/// A minimal WebSocket client on a raw TCP connection, for tests in which the server speaks first.
///
/// WSClient (swift-websocket 1.6.2) can lose frames that arrive together with the `101` response, so a test
/// whose server writes right after the upgrade would be flaky with it. This client reads the response and the
/// frames from one byte stream, so nothing is lost. It reads unfragmented frames only, which is all the
/// server sends below its maximum frame size.
struct RawWebSocket {
    /// One frame from the server.
    struct Frame {
        var opcode: UInt8
        var payload: [UInt8]

        var text: String { String(decoding: payload, as: UTF8.self) }
        /// For a close frame, its status code.
        var closeCode: UInt16? {
            guard opcode == 0x8, payload.count >= 2 else { return nil }
            return UInt16(payload[0]) << 8 | UInt16(payload[1])
        }
    }

    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var buffer = ByteBuffer()

    /// Connects to `path` on the server at 127.0.0.1:`port`, upgrades, and runs `body` on the socket.
    static func with(
        port: Int,
        path: String,
        headers: [(String, String)] = [],
        _ body: (inout RawWebSocket) async throws -> Void
    ) async throws {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        try await channel.executeThenClose { inbound, outbound in
            var socket = RawWebSocket(inbound: inbound.makeAsyncIterator(), outbound: outbound)
            try await outbound.write(
                ByteBuffer(
                    string: "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: Upgrade\r\n"
                        + "Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                        + "Sec-WebSocket-Version: 13\r\n"
                        + headers.map { "\($0.0): \($0.1)\r\n" }.joined() + "\r\n"))
            let head = try await socket.readResponseHead()
            try #require(head.hasPrefix("HTTP/1.1 101"), "the upgrade was refused: \(head)")
            try await body(&socket)
        }
    }

    private init(
        inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    ) {
        self.inbound = inbound
        self.outbound = outbound
    }

    private mutating func readResponseHead() async throws -> String {
        while true {
            let view = buffer.readableBytesView
            if let end = view.firstRange(of: Array("\r\n\r\n".utf8)) {
                let head = buffer.readString(length: end.upperBound - view.startIndex) ?? ""
                return head
            }
            guard try await fill() else { return String(buffer: buffer) }
        }
    }

    /// Reads more bytes; `false` at the end of the stream.
    private mutating func fill() async throws -> Bool {
        guard var chunk = try await inbound.next() else { return false }
        buffer.writeBuffer(&chunk)
        return true
    }

    /// The next frame; `nil` once the connection has closed.
    mutating func next() async throws -> Frame? {
        while true {
            if let frame = parseFrame() { return frame }
            guard try await fill() else { return nil }
        }
    }

    /// The next text message's text, skipping other frames; `nil` at a close frame or the end.
    mutating func nextText() async throws -> String? {
        while let frame = try await next() {
            if frame.opcode == 0x1 { return frame.text }
            if frame.opcode == 0x8 { return nil }
        }
        return nil
    }

    private mutating func parseFrame() -> Frame? {
        var peek = buffer
        guard let first = peek.readInteger(as: UInt8.self), let second = peek.readInteger(as: UInt8.self) else {
            return nil
        }
        var length = Int(second & 0x7F)
        if length == 126 {
            guard let extended = peek.readInteger(as: UInt16.self) else { return nil }
            length = Int(extended)
        } else if length == 127 {
            guard let extended = peek.readInteger(as: UInt64.self) else { return nil }
            length = Int(extended)
        }
        guard let payload = peek.readBytes(length: length) else { return nil }
        buffer = peek
        return Frame(opcode: first & 0x0F, payload: payload)
    }

    /// Sends a text message, masked as a client must.
    func send(text: String) async throws {
        let payload = Array(text.utf8)
        precondition(payload.count < 1 << 16, "the test client sends short messages only")
        let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        var frame = ByteBuffer()
        frame.writeInteger(UInt8(0x81))
        if payload.count < 126 {
            frame.writeInteger(UInt8(0x80 | payload.count))
        } else {
            frame.writeInteger(UInt8(0x80 | 126))
            frame.writeInteger(UInt16(payload.count))
        }
        frame.writeBytes(mask)
        frame.writeBytes(payload.enumerated().map { $0.element ^ mask[$0.offset % 4] })
        try await outbound.write(frame)
    }
}
