import Crypto
import Foundation
import Herald

/// Encrypts and decrypts event data with AES-256-GCM, end to end: the server and the store see only the
/// ciphertext.
///
/// An encrypted event's `data` is the nonce, ciphertext and tag (AES-GCM's combined form); `datacontenttype` is
/// ``encryptedContentType``; `enckeyid` names the key and `enccontenttype` keeps the original content type, which
/// decryption restores. The event's `id`, `source` and `type` are authenticated with the data, so a ciphertext
/// moved to another event does not decrypt. Events without data pass unchanged.
///
/// To sign as well, encrypt first and sign the encrypted event; verify, then decrypt.
public struct EventEncryptor: Sendable {
    /// The content type of encrypted data.
    public static let encryptedContentType = "application/vnd.herald.encrypted"
    static let keyIDAttribute = "enckeyid"
    static let contentTypeAttribute = "enccontenttype"

    private let current: EventEncryptionKey
    private let keys: [String: EventEncryptionKey]

    /// Creates an encryptor that encrypts with `current` and decrypts with it or any of `previous`.
    public init(current: EventEncryptionKey, previous: [EventEncryptionKey] = []) {
        self.current = current
        self.keys = Dictionary(([current] + previous).map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// `event` with its data encrypted under the current key.
    public func encrypt(_ event: Event) throws -> Event {
        guard let data = event.data, event.extensions[Self.keyIDAttribute] == nil else { return event }
        var encrypted = event
        let sealed = try AES.GCM.seal(data, using: current.key, authenticating: Self.associatedData(of: event))
        guard let combined = sealed.combined else {
            throw EventSecurityError(.malformedCiphertext, "AES-GCM gave no combined form for event '\(event.id)'")
        }
        encrypted.data = combined
        encrypted.extensions[Self.keyIDAttribute] = .string(current.id)
        encrypted.extensions[Self.contentTypeAttribute] = event.dataContentType.map(ExtensionValue.string)
        encrypted.dataContentType = Self.encryptedContentType
        return encrypted
    }

    /// Whether `event` was encrypted by an ``EventEncryptor``.
    public static func isEncrypted(_ event: Event) -> Bool {
        event.extensions[keyIDAttribute] != nil
    }

    /// `event` with its data decrypted and its content type restored; an event that is not encrypted is
    /// returned unchanged.
    ///
    /// - Throws: ``EventSecurityError`` with ``EventSecurityError/Code/unknownKey`` (a key id this encryptor
    ///   does not have), ``EventSecurityError/Code/decryptionFailed`` (a wrong key or tampered ciphertext) or
    ///   ``EventSecurityError/Code/malformedCiphertext``.
    public func decrypt(_ event: Event) throws(EventSecurityError) -> Event {
        guard let keyIDValue = event.extensions[Self.keyIDAttribute] else { return event }
        guard case .string(let keyID) = keyIDValue else {
            throw EventSecurityError(.malformedCiphertext, "the enckeyid of event '\(event.id)' is not a string")
        }
        guard let key = keys[keyID] else {
            throw EventSecurityError(
                .unknownKey,
                "event '\(event.id)' is encrypted with key '\(keyID.prefix(128))', which this consumer does not have; "
                    + "add it as a previous key"
            )
        }
        guard let data = event.data, data.count >= 28 else {
            throw EventSecurityError(
                .malformedCiphertext,
                "event '\(event.id)' is marked encrypted but its data is too short to be AES-GCM output"
            )
        }
        let plaintext: Data
        do {
            let box = try AES.GCM.SealedBox(combined: data)
            plaintext = try AES.GCM.open(box, using: key.key, authenticating: Self.associatedData(of: event))
        } catch {
            throw EventSecurityError(
                .decryptionFailed,
                "event '\(event.id)' cannot be decrypted with key '\(keyID)': the key is wrong, or the data, id, source "
                    + "or type were changed after encryption"
            )
        }
        var decrypted = event
        decrypted.data = plaintext
        if case .string(let type) = event.extensions[Self.contentTypeAttribute] {
            decrypted.dataContentType = type
        } else {
            decrypted.dataContentType = nil
        }
        decrypted.extensions[Self.keyIDAttribute] = nil
        decrypted.extensions[Self.contentTypeAttribute] = nil
        return decrypted
    }

    private static func associatedData(of event: Event) -> Data {
        var bytes = Data("herald-encryption-v1\n".utf8)
        for part in [event.id, event.source, event.type] {
            bytes.append(contentsOf: Array("\(part.utf8.count):\(part)\n".utf8))
        }
        return bytes
    }
}
