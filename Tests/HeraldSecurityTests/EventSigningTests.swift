import Crypto
import Foundation
import Herald
import HeraldSecurity
import Testing

@Suite struct EventSigningTests {
    static let secret = Data((0..<32).map { UInt8($0) })

    static func event() -> Event {
        var event = Event(
            id: "order-1",
            source: "/shop",
            type: "orders.placed",
            subject: "o-1",
            time: Date(timeIntervalSince1970: 1_767_225_600.123456),
            dataContentType: "application/json",
            extensions: ["tenant": "acme", "priority": 3, "urgent": true],
            data: Data(#"{"total":12}"#.utf8)
        )
        event.partitionKey = "o-1"
        return event
    }

    static func keys() throws -> [(EventSigningKey, EventVerifier)] {
        let hmac = try EventSigningKey.hmacSHA256(id: "hmac-1", secret: secret)
        let ed = try EventSigningKey.ed25519(id: "ed-1", privateKey: Curve25519.Signing.PrivateKey())
        return [
            (hmac, EventVerifier(keys: [hmac.verificationKey])),
            (ed, EventVerifier(keys: [try .ed25519(id: "ed-1", publicKey: try #require(ed.publicKey))])),
        ]
    }

    @Test func aSignedEventVerifiesWithEitherAlgorithm() throws {
        for (key, verifier) in try Self.keys() {
            let signed = try EventSigner(key: key).sign(Self.event())
            try verifier.verify(signed)
            #expect(signed.extensions["sigkeyid"] == .string(key.id))
        }
    }

    @Test func aSignatureSurvivesTheJSONFormat() throws {
        for (key, verifier) in try Self.keys() {
            let signed = try EventSigner(key: key).sign(Self.event())
            let transported = try Event.decode(json: signed.jsonData())
            try verifier.verify(transported)
        }
    }

    /// Changing any signed part breaks the signature: each attribute, an extension, the data, the key id.
    @Test(arguments: [
        "id", "source", "type", "subject", "time", "datacontenttype", "dataschema", "extension", "new extension",
        "removed extension", "data", "removed data", "sigalg",
    ])
    func changingAnyPartBreaksTheSignature(_ part: String) throws {
        for (key, verifier) in try Self.keys() {
            var event = try EventSigner(key: key).sign(Self.event())
            switch part {
            case "id": event.id = "order-2"
            case "source": event.source = "/other"
            case "type": event.type = "orders.cancelled"
            case "subject": event.subject = "o-2"
            case "time": event.time = event.time!.addingTimeInterval(1)
            case "datacontenttype": event.dataContentType = "text/plain"
            case "dataschema": event.dataSchema = "https://example.com/schema"
            case "extension": event.extensions["tenant"] = "evil"
            case "new extension": event.extensions["injected"] = "x"
            case "removed extension": event.extensions["priority"] = nil
            case "data": event.data = Data(#"{"total":1200}"#.utf8)
            case "removed data": event.data = nil
            default: event.extensions["sigalg"] = "hmac-sha256x"
            }
            let error = #expect(throws: EventSecurityError.self) { try verifier.verify(event) }
            #expect([.badSignature, .malformedSignature].contains(error?.code), "\(part) with \(key.id)")
        }
    }

    @Test func unsignedUnknownKeyAndGarbageSignaturesAreRejectedWithTheirReason() throws {
        let (key, verifier) = try Self.keys()[0]
        var error = #expect(throws: EventSecurityError.self) { try verifier.verify(Self.event()) }
        #expect(error?.code == .unsigned)

        let other = try EventSigningKey.hmacSHA256(id: "someone-else", secret: Self.secret)
        error = #expect(throws: EventSecurityError.self) {
            try verifier.verify(try EventSigner(key: other).sign(Self.event()))
        }
        #expect(error?.code == .unknownKey)
        #expect(error?.message.contains("someone-else") == true)

        var garbage = try EventSigner(key: key).sign(Self.event())
        garbage.extensions["signature"] = "%%% not base64 %%%"
        error = #expect(throws: EventSecurityError.self) { try verifier.verify(garbage) }
        #expect(error?.code == .malformedSignature)

        // Another secret under the same key id.
        let impostor = try EventSigningKey.hmacSHA256(id: key.id, secret: Data(repeating: 7, count: 32))
        error = #expect(throws: EventSecurityError.self) {
            try verifier.verify(try EventSigner(key: impostor).sign(Self.event()))
        }
        #expect(error?.code == .badSignature)
    }

    @Test func aVerifierWithSeveralKeysAcceptsEachDuringARotation() throws {
        let old = try EventSigningKey.hmacSHA256(id: "2026-10", secret: Self.secret)
        let new = try EventSigningKey.hmacSHA256(id: "2026-11", secret: Data(repeating: 9, count: 32))
        let verifier = EventVerifier(keys: [old.verificationKey, new.verificationKey])
        try verifier.verify(try EventSigner(key: old).sign(Self.event()))
        try verifier.verify(try EventSigner(key: new).sign(Self.event()))
    }

    @Test func unusableKeysAreRefused() throws {
        #expect(throws: EventSecurityError.self) { try EventSigningKey.hmacSHA256(id: "short", secret: Data([1, 2])) }
        #expect(throws: EventSecurityError.self) { try EventSigningKey.hmacSHA256(id: "", secret: Self.secret) }
        #expect(throws: EventSecurityError.self) { try EventVerificationKey.ed25519(id: "ed", publicKey: Data([1])) }
    }

    @Test func theCanonicalFormIsStableAndDocumented() throws {
        var event = Event(id: "1", source: "/s", type: "t", data: Data("hi".utf8))
        event.extensions["b"] = "x"
        let text = String(decoding: EventCanonicalForm.bytes(of: event), as: UTF8.self)
        #expect(text == "herald-signature-v1\nb:1:x\nid:1:1\nsource:2:/s\nspecversion:3:1.0\ntype:1:t\ndata:2:hi")
    }
}
