import Crypto
import Foundation

/// An AES-256-GCM key for event data, with the id that names it in each encrypted event (`enckeyid`), so that
/// consumers can hold old keys while publishers move to a new one.
public struct EventEncryptionKey: Sendable {
    /// The key's id.
    public let id: String
    /// The raw bytes, since swift-crypto's `SymmetricKey` is not `Sendable`.
    private let bytes: Data

    var key: SymmetricKey { SymmetricKey(data: bytes) }

    /// A key from 32 bytes of secret material.
    ///
    /// - Throws: ``EventSecurityError`` with ``EventSecurityError/Code/invalidKey`` for another length or a bad id.
    public init(id: String, bytes: some ContiguousBytes) throws(EventSecurityError) {
        try EventSecurityError.checkKeyID(id)
        let key = SymmetricKey(data: bytes)
        guard key.bitCount == 256 else {
            throw EventSecurityError(
                .invalidKey,
                "the encryption key '\(id)' has \(key.bitCount / 8) bytes; AES-256-GCM needs exactly 32 random bytes"
            )
        }
        self.id = id
        self.bytes = key.withUnsafeBytes { Data($0) }
    }

    /// A new random key.
    public static func random(id: String) throws(EventSecurityError) -> Self {
        try Self(id: id, bytes: SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) })
    }
}
