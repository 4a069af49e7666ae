import HeraldServer
import HeraldTesting
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOPosix
import Testing

/// Requests that are not valid HTTP, sent over a real socket: each gets an answer and a closed connection, never
/// a connection left hanging.
@Suite struct MalformedRequestTests {
    /// Sends `bytes` to the server on `port` and returns everything it answers until it closes the connection.
    static func exchange(_ bytes: [UInt8], port: Int) async throws -> String {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(bytes: bytes))
            var answer = ""
            for try await part in inbound {
                answer += String(buffer: part)
            }
            return answer
        }
    }

    func withLiveServer(_ body: @Sendable (Int) async throws -> Void) async throws {
        try await buildHeraldApplication(store: InMemoryEventStore()).test(.live) { client in
            try await body(try #require(client.port))
        }
    }

    @Test(.timeLimit(.minutes(5)))
    func headersOverTheLimitGet431WithAProblem() async throws {
        try await withLiveServer { port in
            let request = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "x", count: 90_000))\r\n\r\n"
            let answer = try await Self.exchange(Array(request.utf8), port: port)
            #expect(answer.hasPrefix("HTTP/1.1 431"), "\(answer.prefix(200))")
            #expect(answer.contains("application/problem+json"))
            #expect(answer.contains("larger than the 80 KiB"))
        }
    }

    @Test(
        .timeLimit(.minutes(5)), arguments: ["GARBAGE\r\n\r\n", "GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n"])
    func aMalformedRequestGets400WithAProblem(request: String) async throws {
        try await withLiveServer { port in
            let answer = try await Self.exchange(Array(request.utf8), port: port)
            #expect(answer.hasPrefix("HTTP/1.1 400"), "\(answer.prefix(200))")
            #expect(answer.contains("not valid HTTP/1.1"))
        }
    }

    @Test(.timeLimit(.minutes(5)))
    func headersJustUnderTheLimitAreServed() async throws {
        try await withLiveServer { port in
            let request =
                "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Big: \(String(repeating: "x", count: 70_000))\r\n\r\n"
            let answer = try await Self.exchange(Array(request.utf8), port: port)
            #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer.prefix(200))")
        }
    }
}
