import Crypto
import Foundation
import Herald
import HeraldSecurity
import HeraldTesting
import MetricsTestKit
import Testing

@Suite struct SecurityMiddlewareTests {
    /// A router handler that requires signatures: a signed event is handled; an unsigned and a tampered one go
    /// to the dead letters with the reason, and the rejections are counted by reason.
    @Test func aConsumerRequiringSignaturesDeadLettersTheRestWithTheReason() async throws {
        let metrics = TestMetrics()
        let key = try EventSigningKey.hmacSHA256(id: "k1", secret: Data(repeating: 3, count: 32))
        let bus = EventBus()
        let handled = EventRecorder()
        let deadLetters = try EventRecorder(attachedTo: bus, pattern: DeadLetter.topic)
        let router = Router(
            bus: bus,
            middleware: [
                DeadLetterMiddleware(metricsFactory: metrics),
                VerifySignaturesMiddleware(
                    verifier: EventVerifier(keys: [key.verificationKey]), metricsFactory: metrics),
            ]
        )
        try router.addHandler("billing", subscribingTo: "orders.>") { event, _ in
            handled.record(event)
            return []
        }
        let signer = EventSigner(key: key)
        var tampered = try signer.sign(Event(id: "2", source: "/shop", type: "orders.placed", data: Data("a".utf8)))
        tampered.data = Data("b".utf8)
        try await bus.publish(try signer.sign(Event(id: "1", source: "/shop", type: "orders.placed")))
        try await bus.publish(tampered)
        try await bus.publish(Event(id: "3", source: "/shop", type: "orders.placed"))
        let letters = try await deadLetters.waitForEvents(matching: DeadLetter.topic, count: 2)
        await bus.waitUntilIdle()
        #expect(handled.events.map(\.id) == ["1"])
        let reasons = try letters.map { try DeadLetter($0).reason }
        #expect(reasons.contains { $0.contains("bad_signature") })
        #expect(reasons.contains { $0.contains("unsigned") })
        for reason in ["bad_signature", "unsigned"] {
            let counter = try metrics.expectCounter("herald_signature_rejections_total", [("reason", reason)])
            #expect(counter.totalValue == 1)
        }
    }

    /// A handler behind the encryption middleware sees plaintext; what it returns is encrypted and signed.
    @Test func handlersSeePlaintextAndPublishEncryptedSignedEvents() async throws {
        let bus = EventBus()
        let encryptor = EventEncryptor(current: try .random(id: "e1"))
        let signingKey = try EventSigningKey.ed25519(id: "s1", privateKey: .init())
        let outputs = try EventRecorder(attachedTo: bus, pattern: "receipts.>")
        let seen = EventRecorder()
        let router = Router(
            bus: bus,
            middleware: [
                SignEventsMiddleware(signer: EventSigner(key: signingKey)),
                EncryptionMiddleware(encryptor: encryptor, encryptsOutput: true),
            ]
        )
        try router.addHandler("receipts", subscribingTo: "orders.placed") { event, _ in
            seen.record(event)
            return [
                Event(source: "/receipts", type: "receipts.issued", dataContentType: "text/plain", data: event.data)
            ]
        }
        let secret = Event(
            source: "/shop", type: "orders.placed", dataContentType: "text/plain", data: Data("card 4242".utf8))
        try await bus.publish(try encryptor.encrypt(secret))
        let receipt = try await outputs.waitForEvents(matching: "receipts.>")[0]
        #expect(seen.events.map(\.data) == [secret.data])
        #expect(EventEncryptor.isEncrypted(receipt))
        try EventVerifier(keys: [signingKey.verificationKey]).verify(receipt)
        #expect(try encryptor.decrypt(receipt).data == Data("card 4242".utf8))
    }
}
