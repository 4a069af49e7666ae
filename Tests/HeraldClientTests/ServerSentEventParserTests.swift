import HeraldClient
import Testing

@Suite("ServerSentEventParser")
struct ServerSentEventParserTests {
    /// Parses `chunks` in order and returns every message.
    func parse(_ chunks: [String]) throws -> [ServerSentEvent] {
        var parser = ServerSentEventParser()
        return try chunks.flatMap { try parser.parse(Array($0.utf8)) }
    }

    /// Parses `text` one byte at a time.
    func parseByteByByte(_ text: String) throws -> [ServerSentEvent] {
        var parser = ServerSentEventParser()
        return try text.utf8.flatMap { try parser.parse([$0]) }
    }

    @Test func messageWithIDTypeAndData() throws {
        let events = try parse(["id: 7\nevent: orders.placed\ndata: {\"a\":1}\n\n"])
        #expect(events == [ServerSentEvent(type: "orders.placed", data: #"{"a":1}"#, lastEventID: "7")])
    }

    @Test func multiLineDataIsJoinedWithLineFeeds() throws {
        let events = try parse(["data: first\ndata: second\ndata:\ndata: fourth\n\n"])
        #expect(events.map(\.data) == ["first\nsecond\n\nfourth"])
        #expect(events.map(\.type) == ["message"])
    }

    @Test func crlfAndCRLineEndings() throws {
        let crlf = try parse(["id: 1\r\ndata: a\r\n\r\nid: 2\r\ndata: b\r\n\r\n"])
        let cr = try parse(["id: 1\rdata: a\r\rid: 2\rdata: b\r\r"])
        let expected = [
            ServerSentEvent(data: "a", lastEventID: "1"), ServerSentEvent(data: "b", lastEventID: "2"),
        ]
        #expect(crlf == expected)
        #expect(cr == expected)
    }

    @Test func crlfSplitAcrossChunksIsOneLineEnd() throws {
        // Were the LF after a chunk-final CR read as a second line end, the empty line would dispatch
        // "a" alone.
        let events = try parse(["data: a\r", "\ndata: b\r", "\n\r", "\n"])
        #expect(events == [ServerSentEvent(data: "a\nb")])
    }

    @Test func chunksSplitAnywhereGiveTheSameMessages() throws {
        let text = "retry: 3000\n: heartbeat\r\nid: 41\nevent: t\ndata: x\n\nid: 42\ndata: caf\u{E9} \u{1F600}\r\n\r\n"
        let whole = try parse([text])
        #expect(whole.count == 2)
        #expect(try parseByteByByte(text) == whole)
        let bytes = Array(text.utf8)
        for split in 1..<bytes.count {
            var parser = ServerSentEventParser()
            let events = try parser.parse(bytes[..<split]) + parser.parse(bytes[split...])
            #expect(events == whole, "split at byte \(split)")
        }
        #expect(whole[1].data == "caf\u{E9} \u{1F600}")
    }

    @Test func commentsAreIgnored() throws {
        #expect(try parse([": heartbeat\n\n", ":\n", ": another\n\n"]).isEmpty)
        let events = try parse(["data: a\n: comment inside a message\ndata: b\n\n"])
        #expect(events.map(\.data) == ["a\nb"])
    }

    @Test func fieldValuesLoseOneLeadingSpaceOnly() throws {
        let events = try parse(["data:no-space\n\n", "data:  two spaces\n\n", "data\n\n"])
        #expect(events.map(\.data) == ["no-space", " two spaces", ""])
    }

    @Test func lastEventIDPersistsAndNULIDsAreIgnored() throws {
        let events = try parse(["id: 5\ndata: a\n\n", "data: b\n\n", "id: 6\u{0}\ndata: c\n\n", "id\ndata: d\n\n"])
        #expect(events.map(\.lastEventID) == ["5", "5", "5", ""])
    }

    @Test func messagesWithoutDataOrUnterminatedAreNotDispatched() throws {
        #expect(try parse(["id: 3\nevent: x\n\n"]).isEmpty)
        #expect(try parse(["data: never ended\n"]).isEmpty)
        // The event type does not leak into the next message.
        #expect(try parse(["event: x\n\ndata: y\n\n"]).map(\.type) == ["message"])
    }

    @Test func unknownFieldsAreIgnoredAndRetryIsRead() throws {
        var parser = ServerSentEventParser()
        let events = try parser.parse(Array("foo: bar\nretry: 1500\nretry: soon\ndata: z\n\n".utf8))
        #expect(events == [ServerSentEvent(data: "z")])
        #expect(parser.reconnectionTime == 1500)
    }

    @Test func leadingByteOrderMarkIsSkipped() throws {
        var parser = ServerSentEventParser()
        let events = try parser.parse([0xEF, 0xBB, 0xBF] + Array("data: a\n\n".utf8))
        #expect(events == [ServerSentEvent(data: "a")])
    }

    @Test func overlongLineIsRefused() throws {
        var parser = ServerSentEventParser(maximumLineLength: 16)
        #expect(throws: ServerSentEventParser.LineTooLongError.self) {
            _ = try parser.parse(Array("data: \(String(repeating: "x", count: 20))\n\n".utf8))
        }
    }
}
