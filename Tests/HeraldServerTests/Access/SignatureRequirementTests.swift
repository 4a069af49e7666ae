import Crypto
import Foundation
import Herald
import HeraldSecurity
import HeraldServer
import HeraldTesting
import NIOCore
import NIOHTTP1
import Testing

/// `--require-signature` and `--verification-key`: events published to matching topics must carry a valid
/// signature by a known key, over real HTTP and WebSocket.
@Suite struct SignatureRequirementTests {
    static let hmacSecret = Data((0..<32).map { UInt8($0) })
    static let hmacSigner = EventSigner(key: try! .hmacSHA256(id: "shared-1", secret: hmacSecret))
    static let edSigner = EventSigner(key: try! .ed25519(id: "ed-1", privateKey: Curve25519.Signing.PrivateKey()))
    /// A key the server does not know.
    static let strangerSigner = EventSigner(
        key: try! .hmacSHA256(id: "stranger", secret: Data(repeating: 7, count: 32)))
    static let admin = APIKey(name: "ops", secret: "ops-secret-000000000001", scopes: Set(APIKey.Scope.all))

    var server: AccessServer {
        var server = AccessServer(keys: [Self.admin])
        server.configuration.signatureRequirement = SignatureRequirement(
            topics: [try! TopicPattern("payments.>")],
            keys: [
                try! SignatureRequirement.parseVerificationKey(
                    "shared-1:hmac:\(Self.hmacSecret.base64EncodedString())"),
                try! SignatureRequirement.parseVerificationKey(
                    "ed-1:ed25519:\(Self.edSigner.key.publicKey!.base64EncodedString())"),
            ])
        return server
    }

    static func payment(_ id: String) -> Event { accessEvent(id, type: "payments.settled") }

    /// `event` with its data changed after signing.
    static func tampered(_ event: Event) -> Event {
        var event = event
        event.data = Data(#"{"n":1000000}"#.utf8)
        return event
    }

    /// `event` whose signature is not base64.
    static func malformed(_ event: Event) -> Event {
        var event = event
        event.extensions["signature"] = .string("not base64 at all!")
        return event
    }

    @Test func validSignaturesByEitherKeyAreStoredAsSent() async throws {
        let server = server
        let signed = [try Self.hmacSigner.sign(Self.payment("h")), try Self.edSigner.sign(Self.payment("e"))]
        try await server.run { client async throws in
            for event in signed {
                #expect(try await client.publish([event], key: Self.admin).status == 201)
            }
            // Topics that require nothing take unsigned events.
            #expect(try await client.publish([accessEvent("o", type: "orders.placed")], key: Self.admin).status == 201)
        }
        let stored = try await server.store.read(after: 0, filter: EventFilter(), limit: 10).events.map { $0.event }
        #expect(stored.map(\.id) == ["h", "e", "o"])
        let verifier = EventVerifier(keys: [Self.hmacSigner.key.verificationKey, Self.edSigner.key.verificationKey])
        for (event, sent) in zip(stored, signed) {
            try verifier.verify(event)
            #expect(event.extensions["signature"] == sent.extensions["signature"])
        }
    }

    @Test(arguments: [
        ("unsigned", 400), ("malformed_signature", 400), ("unknown_key", 403), ("bad_signature", 403),
    ])
    func refusedEventsGetTheirReasonAndAreCounted(reason: String, status: Int) async throws {
        let server = server
        let event: Event =
            switch reason {
            case "unsigned": Self.payment("x")
            case "malformed_signature": Self.malformed(try Self.hmacSigner.sign(Self.payment("x")))
            case "unknown_key": try Self.strangerSigner.sign(Self.payment("x"))
            default: Self.tampered(try Self.edSigner.sign(Self.payment("x")))
            }
        try await server.run { client in
            let answer = try await client.publish([event], key: Self.admin)
            #expect(answer.status == status)
            let problem = try answer.problem
            #expect(problem.detail.contains(reason))
            #expect(problem.detail.contains("'payments.settled'"))
            let metrics = try await client.send(.GET, "/metrics", key: Self.admin)
            #expect(metrics.body.contains(#"herald_signature_rejections_total{reason="\#(reason)"} 1"#))
        }
        #expect(try await server.store.lastSequence() == 0)
    }

    @Test func aBatchWithOneBadSignatureIsRefusedWhole() async throws {
        let server = server
        try await server.run { client in
            let batch = [
                try Self.hmacSigner.sign(Self.payment("1")), Self.payment("2"), accessEvent("3", type: "orders.placed"),
                Self.tampered(try Self.hmacSigner.sign(Self.payment("4"))),
            ]
            let answer = try await client.publish(batch, key: Self.admin)
            #expect(answer.status == 400)
            #expect(try answer.problem.errors?.map(\.index) == [1, 3])
        }
        #expect(try await server.store.lastSequence() == 0)
    }

    @Test func binaryModeCarriesTheSignatureInHeaders() async throws {
        let server = server
        var event = Self.payment("b")
        event.dataContentType = "application/json"
        let signed = try Self.hmacSigner.sign(event)
        let body = String(decoding: event.data ?? Data(), as: UTF8.self)
        try await server.run { client in
            func headers(_ event: Event) -> [(String, String)] {
                var headers = [
                    ("ce-specversion", "1.0"), ("ce-id", event.id), ("ce-source", event.source),
                    ("ce-type", event.type),
                    ("Content-Type", "application/json"),
                ]
                for name in ["sigalg", "sigkeyid", "signature"] {
                    if case .string(let value) = event.extensions[name] {
                        headers.append(
                            ("ce-\(name)", value.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!))
                    }
                }
                return headers
            }
            #expect(
                try await client.send(.POST, "/v1/events", key: Self.admin, headers: headers(signed), body: body).status
                    == 201)
            let changedBody = try await client.send(
                .POST, "/v1/events", key: Self.admin, headers: headers(signed), body: #"{"n":2}"#)
            #expect(changedBody.status == 403)
        }
        #expect(try await server.store.lastSequence() == 1)
    }

    @Test func webSocketPublishesAreCheckedToo() async throws {
        let server = server
        try await server.run { client in
            var answers: [[String: Any]] = []
            try await RawWebSocket.with(
                port: client.port, path: "/v1/ws?topic=none.yet",
                headers: [("Authorization", "Bearer \(Self.admin.secret)")]
            ) { socket in
                for event in [Self.payment("u"), try Self.edSigner.sign(Self.payment("s"))] {
                    try await socket.send(text: String(decoding: event.jsonData(), as: UTF8.self))
                    answers.append(try jsonObject(try #require(try await socket.nextText())))
                }
            }
            #expect(answers[0]["status"] as? Int == 400)
            #expect((answers[0]["detail"] as? String)?.contains("unsigned") == true)
            #expect(answers[1]["events"] != nil)
        }
        #expect(try await server.store.read(after: 0, filter: EventFilter(), limit: 10).events.map(\.event.id) == ["s"])
    }

    @Test(arguments: [
        ("k1:hmac:not-base64!", "not base64"), ("k1:rsa:AAAA", "algorithm 'rsa'"), ("k1:hmac", "three"),
        (":hmac:AAAA", "three"), ("k1:hmac:AAAA", "at least 16"), ("k1:ed25519:AAAA", "32 raw bytes"),
    ])
    func malformedVerificationKeysAreRefusedWithTheReason(text: String, reason: String) {
        #expect {
            try SignatureRequirement.parseVerificationKey(text)
        } throws: { error in
            "\(error)".contains(reason)
        }
    }

    @Test func requiringSignaturesWithoutAKeyIsRefused() {
        var configuration = HeraldServerConfiguration()
        configuration.signatureRequirement.topics = [try! TopicPattern(">")]
        #expect {
            try configuration.validate()
        } throws: { error in
            "\(error)".contains("--verification-key")
        }
    }
}
