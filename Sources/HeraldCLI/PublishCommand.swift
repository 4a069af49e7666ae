import ArgumentParser
import Foundation
import Herald
import HeraldClient
import HeraldSecurity
import NIOSSL
import Synchronization

/// `herald publish`: publishes one event to a running server.
struct PublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Publish one event, or a stream of them from standard input, to a running Herald server.",
        discussion: """
            Prints the event's sequence in the log, or that it was a duplicate of a stored (source, id). \
            Errors from the server are printed with their problem detail, and the exit code is 1. With \
            --stdin, each line of standard input is one event in the structured CloudEvents JSON format; they \
            are published over one WebSocket without waiting for each answer, and one line is printed per \
            event, in order.
            """
    )

    @Option(help: "The event type, such as orders.placed; its topic. Required without --stdin.")
    var type: String?

    @Option(help: "The event source, a URI-reference such as /shop. Required without --stdin.")
    var source: String?

    @Option(help: "The subject within the source, such as order-42.")
    var subject: String?

    @Option(help: "The event id, unique per source. (default: a random UUID)")
    var id: String?

    @Option(help: "The data, as JSON text: '{\"total\":42}', '\"text\"', 7.")
    var data: String?

    @Option(help: "A file whose content, JSON text, is the data.")
    var dataFile: String?

    @Option(help: "The partitionkey extension: ordered consumer groups deliver a key's events in order.")
    var partitionKey: String?

    @Option(
        help: ArgumentHelp(
            "Sign the event (HeraldSecurity's canonical form) with this key, for a server or consumers that require "
                + "signatures: KEYID:hmac:BASE64SECRET or KEYID:ed25519:BASE64PRIVATEKEY.",
            valueName: "keyid:alg:base64"))
    var signWith: String?

    @Flag(
        help: ArgumentHelp(
            "Read the events from standard input instead: one CloudEvent in the structured JSON format per line, "
                + "published over one WebSocket without waiting for each answer. The exit code is 1 when a line "
                + "is not an event or an event is refused."))
    var stdin = false

    @OptionGroup var serverOptions: ServerOptions

    func validate() throws {
        guard stdin else {
            _ = try makeEvent()
            return
        }
        let given = [
            ("--type", type), ("--source", source), ("--subject", subject), ("--id", id), ("--data", data),
            ("--data-file", dataFile), ("--partition-key", partitionKey),
        ].filter { $0.1 != nil }.map(\.0)
        guard given.isEmpty else {
            throw ValidationError(
                "--stdin reads whole events, one CloudEvent in JSON per line; leave out \(given.joined(separator: ", "))"
            )
        }
        if let signWith { _ = try SigningKeyOption.parse(signWith) }
    }

    func run() async throws {
        guard !stdin else {
            let input = StandardInputLines()
            let failures = try await serverOptions.withClient { client in
                try await publish(
                    lines: input.lines, with: client, tlsConfiguration: try serverOptions.webSocketTLSConfiguration(),
                    took: input.took, printing: Output.line, reporting: Output.error)
            }
            if failures > 0 { throw ExitCode.failure }
            return
        }
        let event = try makeEvent()
        let result = try await serverOptions.withClient { client in try await client.publish(event) }
        Output.line(Output.publishLine(result, type: event.type))
    }

    /// Publishes the event on each of `lines` (blank ones skipped) as a stream, printing one line per event
    /// with `printing`, in order, and each line that is not an event and each refusal with `reporting`;
    /// calls `took` as each line is read. Returns how many lines failed.
    func publish<Lines: AsyncSequence & Sendable>(
        lines: Lines,
        with client: HeraldClient,
        tlsConfiguration: TLSConfiguration? = nil,
        took: @escaping @Sendable () -> Void = {},
        printing: @escaping @Sendable (String) -> Void,
        reporting: @escaping @Sendable (String) -> Void
    ) async throws -> Int where Lines.Element == String {
        let signer = try signWith.map { EventSigner(key: try SigningKeyOption.parse($0)) }
        let counts = LineCounts()
        let events = lines.compactMap { @Sendable line -> Event? in
            took()
            let number = counts.nextLine()
            guard line.contains(where: { !$0.isWhitespace }) else { return nil }
            do {
                let event = try Event.decode(json: Data(line.utf8))
                return try signer?.sign(event) ?? event
            } catch {
                reporting("error: line \(number) is not an event: \(error)")
                counts.fail()
                return nil
            }
        }
        try await client.publish(streaming: events, tlsConfiguration: tlsConfiguration) { event, result in
            switch result {
            case .success(let published):
                printing(Output.publishLine(published, type: event.type))
            case .failure(let error):
                reporting("error: event id=\(event.id) source=\(event.source): \(error.description)")
                counts.fail()
            }
        }
        return counts.failures
    }

    /// The event the options describe, its data checked to be JSON.
    func makeEvent() throws -> Event {
        guard let type, let source else {
            throw ValidationError("--type and --source are required, unless --stdin reads whole events")
        }
        if data != nil, dataFile != nil {
            throw ValidationError("give the data with --data or with --data-file, not both")
        }
        var payload: Data?
        if let data {
            payload = try Self.json(Data(data.utf8), from: "--data")
        } else if let dataFile {
            let contents: Data
            do {
                contents = try Data(contentsOf: URL(fileURLWithPath: dataFile))
            } catch {
                throw ValidationError("cannot read --data-file '\(dataFile)': \(error.localizedDescription)")
            }
            payload = try Self.json(contents, from: "--data-file '\(dataFile)'")
        }
        var extensions: [String: ExtensionValue] = [:]
        if let partitionKey { extensions[Event.ExtensionName.partitionKey] = .string(partitionKey) }
        let event = Event(
            id: id ?? UUID().uuidString, source: source, type: type, subject: subject, time: Date(),
            dataContentType: payload == nil ? nil : "application/json", extensions: extensions, data: payload)
        do {
            try event.validate()
        } catch {
            throw ValidationError("the event is not valid: \(error)")
        }
        guard let signWith else { return event }
        return try EventSigner(key: try SigningKeyOption.parse(signWith)).sign(event)
    }

    /// `text` when it is one JSON value, else an error that says where it breaks and how to quote.
    static func json(_ text: Data, from origin: String) throws -> Data {
        do {
            _ = try JSONSerialization.jsonObject(with: text, options: [.fragmentsAllowed])
            return text
        } catch {
            let reason = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
            throw ValidationError(
                "\(origin) is not valid JSON (\(reason)); give a JSON value such as '{\"total\":42}', or quote "
                    + "text as a JSON string: '\"hello\"'")
        }
    }
}

/// The lines of a `--stdin` stream read so far, and how many failed.
private final class LineCounts: Sendable {
    private let state = Mutex((lines: 0, failures: 0))

    /// Counts a line read; returns its number, from 1.
    func nextLine() -> Int {
        state.withLock { state in
            state.lines += 1
            return state.lines
        }
    }

    func fail() {
        state.withLock { $0.failures += 1 }
    }

    var failures: Int { state.withLock { $0.failures } }
}

/// Standard input's lines, read on a thread of its own, at most 1,024 ahead of the reader, who calls
/// ``took()`` as it takes each.
struct StandardInputLines: Sendable {
    let lines: AsyncStream<String>
    private let room: DispatchSemaphore

    init() {
        let room = DispatchSemaphore(value: 1_024)
        let (lines, continuation) = AsyncStream.makeStream(of: String.self)
        Thread.detachNewThread {
            while let line = readLine(strippingNewline: true) {
                room.wait()
                continuation.yield(line)
            }
            continuation.finish()
        }
        self.lines = lines
        self.room = room
    }

    /// Makes room for one more line.
    @Sendable func took() {
        room.signal()
    }
}
