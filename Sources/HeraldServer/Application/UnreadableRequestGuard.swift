import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle

extension HTTPServerBuilder {
    /// HTTP/1.1 with WebSocket upgrades through `webSocketRouter`, answering a first request that cannot be parsed
    /// (headers over the 80 KiB limit, a malformed request line) instead of leaving the connection hanging.
    ///
    /// With `tls`, each connection first completes a TLS handshake (HTTPS, and WSS for the upgrades).
    ///
    /// HummingbirdWebSocket's upgrade pipeline turns Hummingbird's own error handling off while it waits for the
    /// first request head, so a request that fails to parse there would get no answer and keep its connection.
    static func heraldHTTP1<WebSocketRouter: HTTPResponderBuilder>(
        webSocketRouter: WebSocketRouter,
        webSocket: WebSocketServerConfiguration = .init(),
        tls: ServerTLS? = nil
    ) -> HTTPServerBuilder where WebSocketRouter.Responder.Context: WebSocketRequestContext {
        let webSocketResponder = webSocketRouter.buildResponder()
        return HTTPServerBuilder { responder in
            let channel = UnreadableRequestGuardedChannel(
                base: HTTP1WebSocketUpgradeChannel(
                    responder: responder, webSocketResponder: webSocketResponder,
                    configuration: .init(ws: webSocket)))
            guard let tls else { return channel }
            return try TLSChannel(channel, tlsConfiguration: tls.tlsConfiguration)
        }
    }
}

/// A child channel that adds ``UnreadableRequestResponder`` after `base`'s handlers.
struct UnreadableRequestGuardedChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            try channel.pipeline.syncOperations.addHandler(UnreadableRequestResponder())
            return value
        }
    }

    /// Runs `base`'s handling, closing the connection when the server shuts down before the client sent any
    /// request: the upgrade pipeline waits for a first request without heeding graceful shutdown or
    /// cancellation, so one idle connection would otherwise hold the whole server up.
    func handle(value: Value, logger: Logger) async {
        let channel = value.channel
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await base.handle(value: value, logger: logger)
            } onGracefulShutdown: {
                channel.eventLoop.execute {
                    let responder = try? channel.pipeline.syncOperations.handler(type: UnreadableRequestResponder.self)
                    if responder?.sawRequest == false { channel.close(promise: nil) }
                }
            }
        } onCancel: {
            channel.close(promise: nil)
        }
    }
}

/// Answers a parse error that arrives before any request part got through: 431 for headers over the limit,
/// 400 otherwise, each with a problem body, then closes the connection. Later errors pass on to Hummingbird,
/// which answers them itself.
final class UnreadableRequestResponder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private(set) var sawRequest = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        sawRequest = true
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard !sawRequest, let parseError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        sawRequest = true
        let problem: ProblemDetails
        let status: HTTPResponseStatus
        if parseError == .headerOverflow {
            status = .requestHeaderFieldsTooLarge
            problem = ProblemDetails(
                type: "urn:herald:problem:headers-too-large", title: "Request headers too large", status: 431,
                detail: "the request's headers are larger than the 80 KiB this server reads; send shorter headers, "
                    + "and put large values in the body")
        } else {
            status = .badRequest
            problem = ProblemDetails(
                type: "urn:herald:problem:malformed-request", title: "Malformed HTTP request", status: 400,
                detail: "the request is not valid HTTP/1.1 (\(parseError)); check the client")
        }
        let body = problem.jsonBody()
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: ProblemDetails.mediaType)
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        headers.add(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))))
            .whenFailure { _ in }
        context.write(wrapOutboundOut(.body(.byteBuffer(body)))).whenFailure { _ in }
        // The completion runs on the channel's event loop, where the context may be used.
        let boundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in boundContext.value.close(promise: nil) }
    }
}
