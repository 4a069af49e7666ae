import Foundation
import Herald
import HeraldSecurity
import Testing

@Suite struct EventEncryptionTests {
    static func event() -> Event {
        Event(
            id: "reading-1",
            source: "/sensors/7",
            type: "sensor.reading",
            dataContentType: "application/json",
            data: Data(#"{"celsius":21.5}"#.utf8)
        )
    }

    @Test func dataIsEncryptedAndComesBackWithItsContentType() throws {
        let encryptor = EventEncryptor(current: try .random(id: "k1"))
        let encrypted = try encryptor.encrypt(Self.event())
        #expect(encrypted.data != Self.event().data)
        #expect(encrypted.dataContentType == EventEncryptor.encryptedContentType)
        #expect(!String(decoding: encrypted.data!, as: UTF8.self).contains("celsius"), "the store sees ciphertext only")
        #expect(EventEncryptor.isEncrypted(encrypted))
        let decrypted = try encryptor.decrypt(try Event.decode(json: encrypted.jsonData()))
        #expect(decrypted == Self.event())
    }

    @Test func twoEncryptionsOfOneEventDiffer() throws {
        let encryptor = EventEncryptor(current: try .random(id: "k1"))
        #expect(
            try encryptor.encrypt(Self.event()).data != encryptor.encrypt(Self.event()).data, "a fresh nonce each time")
    }

    @Test func aRotatedKeyStillDecryptsWhatItEncrypted() throws {
        let old = try EventEncryptionKey.random(id: "2026-10")
        let encrypted = try EventEncryptor(current: old).encrypt(Self.event())
        let rotated = EventEncryptor(current: try .random(id: "2026-11"), previous: [old])
        #expect(try rotated.decrypt(encrypted) == Self.event())
        #expect(try rotated.encrypt(Self.event()).extensions["enckeyid"] == .string("2026-11"))
    }

    @Test func aWrongKeyTamperedDataAMovedCiphertextAndAnUnknownKeyAreClearErrors() throws {
        let key = try EventEncryptionKey.random(id: "k1")
        let encrypted = try EventEncryptor(current: key).encrypt(Self.event())

        let wrongKey = EventEncryptor(current: try .random(id: "k1"))
        var error = #expect(throws: EventSecurityError.self) { try wrongKey.decrypt(encrypted) }
        #expect(error?.code == .decryptionFailed)

        var tampered = encrypted
        tampered.data![tampered.data!.count - 1] ^= 0x01
        error = #expect(throws: EventSecurityError.self) { try EventEncryptor(current: key).decrypt(tampered) }
        #expect(error?.code == .decryptionFailed)

        var moved = encrypted
        moved.id = "reading-2"
        error = #expect(throws: EventSecurityError.self) { try EventEncryptor(current: key).decrypt(moved) }
        #expect(error?.code == .decryptionFailed)

        let stranger = EventEncryptor(current: try .random(id: "k2"))
        error = #expect(throws: EventSecurityError.self) { try stranger.decrypt(encrypted) }
        #expect(error?.code == .unknownKey)

        var truncated = encrypted
        truncated.data = Data([1, 2, 3])
        error = #expect(throws: EventSecurityError.self) { try EventEncryptor(current: key).decrypt(truncated) }
        #expect(error?.code == .malformedCiphertext)
    }

    @Test func keysMustBe32Bytes() {
        #expect(throws: EventSecurityError.self) { try EventEncryptionKey(id: "short", bytes: Data(count: 16)) }
    }

    @Test func encryptThenSignVerifiesThenDecrypts() throws {
        let encryptor = EventEncryptor(current: try .random(id: "k1"))
        let signingKey = try EventSigningKey.hmacSHA256(id: "s1", secret: Data(repeating: 1, count: 32))
        let sent = try EventSigner(key: signingKey).sign(try encryptor.encrypt(Self.event()))
        let received = try Event.decode(json: sent.jsonData())
        try EventVerifier(keys: [signingKey.verificationKey]).verify(received)
        var plain = try encryptor.decrypt(received)
        for name in ["signature", "sigkeyid", "sigalg"] { plain.extensions[name] = nil }
        #expect(plain == Self.event())
    }
}
