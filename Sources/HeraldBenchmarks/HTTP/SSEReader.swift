import AsyncHTTPClient
import NIOCore

/// Reads the events of a `GET /v1/stream` response with as little work as possible, so that the benchmark's
/// client costs the shared CPU little: it looks only at `data:` lines.
struct SSEReader {
    let response: HTTPClientResponse

    /// Calls `onEvent` with the bytes after `data:` of each event, until the stream ends or `onEvent` returns
    /// false.
    func forEachData(_ onEvent: (ArraySlice<UInt8>) -> Bool) async throws {
        var line: [UInt8] = []
        var atLineStart = true
        var inDataLine = false
        let prefix = Array("data:".utf8)
        for try await chunk in response.body {
            for byte in chunk.readableBytesView {
                if byte == UInt8(ascii: "\n") {
                    if inDataLine, !onEvent(line[prefix.count...]) { return }
                    line.removeAll(keepingCapacity: true)
                    atLineStart = true
                    inDataLine = false
                    continue
                }
                if atLineStart {
                    line.append(byte)
                    if line.count == prefix.count {
                        atLineStart = false
                        inDataLine = line == prefix
                    } else if byte != prefix[line.count - 1] {
                        atLineStart = false
                    }
                } else if inDataLine {
                    line.append(byte)
                }
            }
        }
    }
}
