import Crypto
import Foundation

/// A key that signs events, with the id that names it in each signature (`sigkeyid`) so that consumers can
/// hold several keys and keys can be rotated.
public struct EventSigningKey: Sendable {
    /// Raw bytes, since swift-crypto's key types are not `Sendable`; the keys are made again for each use.
    enum Material: Sendable {
        case hmacSHA256(Data)
        case ed25519(privateKey: Data)
    }

    /// The key's id.
    public let id: String
    let material: Material

    /// An HMAC-SHA256 key: a secret shared by publishers and consumers. Use at least 32 random bytes.
    ///
    /// - Throws: ``EventSecurityError`` for an empty id or a secret shorter than 16 bytes.
    public static func hmacSHA256(id: String, secret: some DataProtocol) throws(EventSecurityError) -> Self {
        try EventSecurityError.checkKeyID(id)
        guard secret.count >= 16 else {
            throw EventSecurityError(
                .invalidKey,
                "the HMAC secret of key '\(id)' has \(secret.count) bytes; use at least 16 (32 random bytes is usual)"
            )
        }
        return Self(id: id, material: .hmacSHA256(Data(secret)))
    }

    /// An Ed25519 private key: publishers sign with it, consumers verify with its public key only.
    public static func ed25519(id: String, privateKey: Curve25519.Signing.PrivateKey) throws(EventSecurityError) -> Self
    {
        try EventSecurityError.checkKeyID(id)
        return Self(id: id, material: .ed25519(privateKey: privateKey.rawRepresentation))
    }

    /// The algorithm's name in `sigalg`.
    var algorithm: String {
        switch material {
        case .hmacSHA256: "hmac-sha256"
        case .ed25519: "ed25519"
        }
    }

    /// The raw Ed25519 public key (32 bytes) to give consumers; `nil` for an HMAC key, whose secret they share.
    public var publicKey: Data? {
        guard case .ed25519(let raw) = material else { return nil }
        return try? Curve25519.Signing.PrivateKey(rawRepresentation: raw).publicKey.rawRepresentation
    }

    /// The key consumers verify this key's signatures with.
    public var verificationKey: EventVerificationKey {
        switch material {
        case .hmacSHA256(let secret): EventVerificationKey(id: id, material: .hmacSHA256(secret))
        case .ed25519: EventVerificationKey(id: id, material: .ed25519(publicKey: publicKey ?? Data()))
        }
    }

    func signature(for bytes: Data) throws -> Data {
        switch material {
        case .hmacSHA256(let secret):
            Data(HMAC<SHA256>.authenticationCode(for: bytes, using: SymmetricKey(data: secret)))
        case .ed25519(let raw): try Curve25519.Signing.PrivateKey(rawRepresentation: raw).signature(for: bytes)
        }
    }
}

/// A key that checks event signatures: an HMAC secret, or an Ed25519 public key.
///
/// Two keys are equal when their id, algorithm and bytes are.
public struct EventVerificationKey: Sendable, Hashable {
    /// Raw bytes, since swift-crypto's key types are not `Sendable`.
    enum Material: Sendable, Hashable {
        case hmacSHA256(Data)
        case ed25519(publicKey: Data)
    }

    /// The key's id, as signatures name it in `sigkeyid`.
    public let id: String
    let material: Material

    /// An HMAC-SHA256 key; see ``EventSigningKey/hmacSHA256(id:secret:)``.
    public static func hmacSHA256(id: String, secret: some DataProtocol) throws(EventSecurityError) -> Self {
        try EventSigningKey.hmacSHA256(id: id, secret: secret).verificationKey
    }

    /// An Ed25519 public key (32 bytes, its raw representation).
    public static func ed25519(id: String, publicKey: some ContiguousBytes) throws(EventSecurityError) -> Self {
        try EventSecurityError.checkKeyID(id)
        do {
            let key = try Curve25519.Signing.PublicKey(rawRepresentation: publicKey)
            return Self(id: id, material: .ed25519(publicKey: key.rawRepresentation))
        } catch {
            throw EventSecurityError(.invalidKey, "the Ed25519 public key of '\(id)' is not 32 raw bytes")
        }
    }

    var algorithm: String {
        switch material {
        case .hmacSHA256: "hmac-sha256"
        case .ed25519: "ed25519"
        }
    }

    func isValid(_ signature: Data, for bytes: Data) -> Bool {
        switch material {
        case .hmacSHA256(let secret):
            return HMAC<SHA256>.isValidAuthenticationCode(
                signature, authenticating: bytes, using: SymmetricKey(data: secret))
        case .ed25519(let raw):
            guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else { return false }
            return key.isValidSignature(signature, for: bytes)
        }
    }
}
