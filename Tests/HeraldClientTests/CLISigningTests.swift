import ArgumentParser
import Crypto
import Foundation
import Herald
import HeraldSecurity
import HeraldServer
import Testing

@testable import HeraldCLI

@Suite("herald publish --sign-with against a server that requires signatures")
struct CLISigningTests {
    static let secret = Data((0..<32).map { UInt8($0) })

    func server(keys: [EventVerificationKey]) throws -> LiveServer {
        var server = LiveServer()
        server.signatureRequirement = SignatureRequirement(topics: [try TopicPattern("orders.>")], keys: keys)
        return server
    }

    func publish(_ arguments: [String], port: Int) async throws {
        let command = try PublishCommand.parse(
            ["--type", "orders.placed", "--source", "/cli", "--data", #"{"total":7}"#]
                + arguments + ["--server", "http://127.0.0.1:\(port)"])
        try await command.run()
    }

    @Test func anHMACSignedPublishIsAcceptedAndStoredVerifiably() async throws {
        let key = try EventVerificationKey.hmacSHA256(id: "k1", secret: Self.secret)
        let server = try server(keys: [key])
        try await server.run { _, port in
            try await publish(
                ["--id", "signed", "--sign-with", "k1:hmac:\(Self.secret.base64EncodedString())"], port: port)
            // The same event unsigned is refused by the server: the command fails.
            await #expect(throws: (any Error).self) { try await publish(["--id", "unsigned"], port: port) }
        }
        let stored = try await server.store.read(after: 0, filter: .all, limit: 10).events.map(\.event)
        #expect(stored.map(\.id) == ["signed"])
        _ = try EventVerifier(keys: [key]).verify(try #require(stored.first))
    }

    @Test func anEd25519SignedPublishIsAccepted() async throws {
        let privateKey = Curve25519.Signing.PrivateKey()
        let key = try EventVerificationKey.ed25519(id: "ed", publicKey: privateKey.publicKey.rawRepresentation)
        let server = try server(keys: [key])
        let material = privateKey.rawRepresentation.base64EncodedString()
        try await server.run { _, port in
            try await publish(["--id", "ed-signed", "--sign-with", "ed:ed25519:\(material)"], port: port)
        }
        #expect(try await server.store.read(after: 0, filter: .all, limit: 10).events.map(\.event.id) == ["ed-signed"])
    }

    @Test(arguments: [
        ("k1:hmac", "three ':'-separated parts"),
        ("k1:hmac:not base64!", "not base64"),
        ("k1:rsa:\(Data(repeating: 7, count: 32).base64EncodedString())", "names algorithm 'rsa'"),
        ("k1:ed25519:\(Data(count: 7).base64EncodedString())", "32 bytes"),
    ])
    func aBadSigningKeyIsRefusedNamingWhatIsWrong(key: String, complaint: String) throws {
        let error = #expect(throws: (any Error).self) {
            try PublishCommand.parse(["--type", "orders.placed", "--source", "/cli", "--sign-with", key]).validate()
        }
        let message = error.map { PublishCommand.message(for: $0) } ?? ""
        #expect(message.contains(complaint), "\(message)")
        // The key material is a secret: never repeated.
        let material = key.split(separator: ":", maxSplits: 2).dropFirst(2).first.map(String.init) ?? ""
        #expect(material.isEmpty || !message.contains(material), "\(message)")
    }
}
