import Foundation
import HTTPTypes
import Herald
import HummingbirdWSClient
import Logging
import NIOHTTP1
import NIOSSL
import NIOWebSocket
import Synchronization

extension HeraldClient {
    /// Publishes `events` over one WebSocket (`GET /v1/ws/publish`), sending each without waiting for the
    /// answers to those before it, with up to `window` unanswered, and calls `answer` with each event and
    /// what the server did with it, in the order sent.
    ///
    /// The server stores the events in the order sent, each durable when its answer comes; it appends the
    /// events that arrive while it commits together, so a stream publishes several times faster than one
    /// ``publish(_:)-(Event)`` after another. An event the server refuses (invalid, or outside the key's
    /// topics) gets its problem in `answer` and the stream goes on.
    ///
    /// ```swift
    /// let sent = try await client.publish(streaming: events) { event, result in
    ///     if case .failure(let error) = result { print(event.id, error) }
    /// }
    /// ```
    ///
    /// - Parameters:
    ///   - events: The events, sent as they come; the call returns once the last one is answered.
    ///   - window: How many events may be sent and not yet answered, from 1.
    ///   - tlsConfiguration: For an `https://` server: the TLS settings of the WebSocket connection, such as
    ///     ``webSocketTLSConfiguration(trusting:)``; `nil` trusts the system's authorities.
    ///   - answer: Called once per event, in order; an error it throws ends the stream.
    /// - Returns: How many events were answered.
    /// - Throws: ``HeraldClientError``: the server's problem when it refuses the connection (no key, or a key
    ///   without the `publish` scope), before any event is sent; or when the connection breaks or closes with
    ///   events unanswered. Those may or may not be stored: publish them again, and the
    ///   (source, id) of a stored one makes it a duplicate.
    @discardableResult
    public func publish<Events: AsyncSequence & Sendable>(
        streaming events: Events,
        window: Int = 256,
        tlsConfiguration: TLSConfiguration? = nil,
        answer: @escaping @Sendable (Event, Result<PublishResult, HeraldClientError>) async throws -> Void
    ) async throws -> Int where Events.Element == Event {
        guard window >= 1 else {
            throw HeraldClientError.invalidRequest("the window must be at least 1, got \(window)")
        }
        let url = try webSocketURL(path: "/v1/ws/publish")
        // Asked over plain HTTP first: a refusal sent on the socket can come in the same packet as the upgrade's
        // answer, which the WebSocket client can lose.
        if let refusal = await webSocketRefusal(path: "/v1/ws/publish") { throw refusal }
        var configuration = WebSocketClientConfiguration()
        configuration.maxFrameSize = min(maximumResponseBytes, 1 << 24)
        if let apiKey { configuration.additionalHeaders[.authorization] = "Bearer \(apiKey)" }
        let outcome = StreamOutcome()
        let maximumResponseBytes = maximumResponseBytes
        let closing: WebSocketCloseFrame?
        do {
            closing = try await WebSocketClient.connect(
                url: url, configuration: configuration, tlsConfiguration: tlsConfiguration,
                logger: Logger(label: "herald-client", factory: { _ in SwiftLogNoOpLogHandler() })
            ) { inbound, outbound, _ in
                let credits = PublishWindow(size: window)
                // Sender and receiver each in a task of their own, so that whichever fails (a write to a socket
                // the server closed, or the socket's end with events unanswered) ends the other.
                try await withThrowingTaskGroup(of: StreamRole.self) { group in
                    group.addTask {
                        var answers = inbound.messages(maxSize: maximumResponseBytes).makeAsyncIterator()
                        while !outcome.isComplete {
                            guard let message = try await answers.next() else {
                                throw HeraldClientError.connectionFailed(
                                    url: url,
                                    reason: "the server closed the WebSocket with events unanswered; publish "
                                        + "them again (a stored one comes back as a duplicate)")
                            }
                            let result = Self.streamedAnswer(message, url: url)
                            guard let event = outcome.takeOldestPending() else {
                                // A problem before any event refuses the connection (the key changed since the
                                // check above); any other answer is for an event that was never sent.
                                if case .failure(let error) = result { throw error }
                                throw HeraldClientError.invalidResponse(
                                    url: url, reason: "the server answered an event that was never sent")
                            }
                            try await answer(event, result)
                            outcome.answered.withLock { $0 += 1 }
                            credits.release()
                        }
                        return .receiver
                    }
                    group.addTask {
                        for try await event in events {
                            try await credits.acquire()
                            outcome.addPending(event)
                            try await outbound.write(.text(String(decoding: event.jsonData(), as: UTF8.self)))
                        }
                        return .sender(leftNothingPending: outcome.finishSending())
                    }
                    var receiverCancelled = false
                    while let result = await group.nextResult() {
                        switch result {
                        case .success(.sender(let leftNothingPending)) where leftNothingPending:
                            // Every event is answered: the receiver waits for a message that will not come.
                            receiverCancelled = true
                            group.cancelAll()
                        case .success:
                            break
                        case .failure(let error) where receiverCancelled && error is CancellationError:
                            break
                        case .failure(let error):
                            group.cancelAll()
                            throw error
                        }
                    }
                }
            }
        } catch let error as HeraldClientError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as WebSocketClientError where error == .webSocketUpgradeFailed {
            throw HeraldClientError.connectionFailed(url: url, reason: "the server refused the WebSocket upgrade")
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw Self.connectionError(error, url: url)
        }
        if let closing, closing.closeCode != .normalClosure {
            throw HeraldClientError.connectionFailed(
                url: url,
                reason: "the server closed the WebSocket with code \(closing.closeCode): \(closing.reason ?? "")")
        }
        return outcome.answered.withLock { $0 }
    }

    /// TLS settings for ``publish(streaming:window:tlsConfiguration:answer:)`` that trust the system's
    /// authorities and these, such as a self-signed server certificate.
    public static func webSocketTLSConfiguration(trusting certificateAuthorities: [NIOSSLCertificate])
        -> TLSConfiguration
    {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.additionalTrustRoots = [.certificates(certificateAuthorities)]
        return tls
    }

    /// Whether this client may open the WebSocket at `path`, asked with a plain `GET` of it: `nil` when the
    /// server answers `426 Upgrade Required` (the key may; the request only lacked the upgrade), otherwise the
    /// error that says why not, such as no key or a key without the route's scope.
    func webSocketRefusal(path: String) async -> HeraldClientError? {
        do {
            try await send(.GET, path: path)
            return .invalidResponse(
                url: (try? url(path: path)) ?? path, reason: "a plain GET succeeded where a WebSocket route answers 426"
            )
        } catch let error as HeraldClientError {
            if case .problem(let problem) = error, problem.status == 426 { return nil }
            return error
        } catch {
            return Self.connectionError(error, url: (try? url(path: path)) ?? path)
        }
    }

    /// The `ws://` or `wss://` URL of an API path on this client's server.
    func webSocketURL(path: String) throws(HeraldClientError) -> String {
        let http = try url(path: path)
        return http.hasPrefix("https://") ? "wss://" + http.dropFirst(8) : "ws://" + http.dropFirst(7)
    }

    /// What one answer on the publishing socket says: the event's result, or its problem.
    static func streamedAnswer(_ message: WebSocketMessage, url: String) -> Result<PublishResult, HeraldClientError> {
        guard case .text(let text) = message else {
            return .failure(.invalidResponse(url: url, reason: "the server answered with a binary message"))
        }
        let json: RawJSON
        do {
            json = try RawJSON.parse(Data(text.utf8))
        } catch {
            return .failure(.invalidResponse(url: url, reason: "an answer is not JSON: \(error)"))
        }
        if json["events"] == nil, let problem = HeraldProblem(json: json, responseStatus: 400) {
            return .failure(.problem(problem))
        }
        do {
            return .success(try publishResults(in: ResponseJSON(json: json, url: url), count: 1)[0])
        } catch {
            return .failure(error)
        }
    }
}

/// What a stream's tasks share: the events sent and not yet answered, whether the sender is done, and how many
/// answers came.
private final class StreamOutcome: Sendable {
    private struct Sending {
        var pending: [Event] = []
        var finished = false
    }

    private let sending = Mutex(Sending())
    let answered = Mutex(0)

    /// Whether the sender is done and every event it sent is answered.
    var isComplete: Bool { sending.withLock { $0.finished && $0.pending.isEmpty } }

    func addPending(_ event: Event) {
        sending.withLock { $0.pending.append(event) }
    }

    /// The oldest event sent and not answered, which the next answer is for.
    func takeOldestPending() -> Event? {
        sending.withLock { $0.pending.isEmpty ? nil : $0.pending.removeFirst() }
    }

    /// Marks the sender done; returns whether every event it sent is answered already.
    func finishSending() -> Bool {
        sending.withLock { state in
            state.finished = true
            return state.pending.isEmpty
        }
    }
}

/// Which of a stream's tasks ended, and for the sender whether it left nothing to answer.
private enum StreamRole: Sendable {
    case sender(leftNothingPending: Bool)
    case receiver
}

/// How many more events a stream may send before an answer comes.
private final class PublishWindow: Sendable {
    private struct State {
        var free: Int
        var waiter: CheckedContinuation<Void, any Error>?
    }

    private let state: Mutex<State>

    init(size: Int) {
        state = Mutex(State(free: size))
    }

    /// Takes a place, waiting for an answer to free one.
    func acquire() async throws {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome: Result<Bool, CancellationError> = state.withLock { state in
                    // Checked under the lock: a cancellation handler that ran before found no waiter to resume.
                    if Task.isCancelled { return .failure(CancellationError()) }
                    guard state.free == 0 else {
                        state.free -= 1
                        return .success(true)
                    }
                    state.waiter = continuation
                    return .success(false)
                }
                switch outcome {
                case .success(true): continuation.resume()
                case .success(false): break
                case .failure(let error): continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }?.resume(throwing: CancellationError())
        }
    }

    /// Frees a place, for the waiting sender if there is one.
    func release() {
        let waiter = state.withLock { state in
            guard let waiter = state.waiter else {
                state.free += 1
                return nil as CheckedContinuation<Void, any Error>?
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }
}
