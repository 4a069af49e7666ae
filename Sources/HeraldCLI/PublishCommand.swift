import ArgumentParser
import Foundation
import Herald
import HeraldClient
import HeraldSecurity

/// `herald publish`: publishes one event to a running server.
struct PublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Publish one event to a running Herald server.",
        discussion: """
            Prints the event's sequence in the log, or that it was a duplicate of a stored (source, id). \
            Errors from the server are printed with their problem detail, and the exit code is 1.
            """
    )

    @Option(help: "The event type, such as orders.placed; its topic.")
    var type: String

    @Option(help: "The event source, a URI-reference such as /shop.")
    var source: String

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

    @OptionGroup var serverOptions: ServerOptions

    func validate() throws {
        _ = try makeEvent()
    }

    func run() async throws {
        let event = try makeEvent()
        let result = try await serverOptions.withClient { client in try await client.publish(event) }
        Output.line(Output.publishLine(result, type: event.type))
    }

    /// The event the options describe, its data checked to be JSON.
    func makeEvent() throws -> Event {
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
