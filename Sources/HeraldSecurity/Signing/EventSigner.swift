import Foundation
import Herald

/// Signs events with one key: adds `sigalg`, `sigkeyid` and `signature` (see ``EventCanonicalForm``).
///
/// ```swift
/// let signer = EventSigner(key: try .hmacSHA256(id: "2026-11", secret: secret))
/// try await bus.publish(try signer.sign(event))
/// ```
///
/// Sign after everything else that changes the event (encryption included); any later change breaks the
/// signature.
public struct EventSigner: Sendable {
    /// The key it signs with.
    public let key: EventSigningKey

    /// Creates a signer.
    public init(key: EventSigningKey) {
        self.key = key
    }

    /// `event` with its signature; a signature it had is replaced.
    public func sign(_ event: Event) throws -> Event {
        var signed = event
        signed.extensions[EventCanonicalForm.signatureAttribute] = nil
        signed.extensions[EventCanonicalForm.algorithmAttribute] = .string(key.algorithm)
        signed.extensions[EventCanonicalForm.keyIDAttribute] = .string(key.id)
        let signature = try key.signature(for: EventCanonicalForm.bytes(of: signed))
        signed.extensions[EventCanonicalForm.signatureAttribute] = .string(signature.base64EncodedString())
        return signed
    }
}

/// Checks event signatures against a set of keys, by the key id each signature names.
public struct EventVerifier: Sendable {
    private let keys: [String: EventVerificationKey]

    /// Creates a verifier that knows `keys` (several during a rotation).
    public init(keys: [EventVerificationKey]) {
        self.keys = Dictionary(keys.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
    }

    /// Returns normally when `event` carries a valid signature by one of the keys.
    ///
    /// - Throws: ``EventSecurityError`` with ``EventSecurityError/Code/unsigned``,
    ///   ``EventSecurityError/Code/unknownKey``, ``EventSecurityError/Code/malformedSignature`` or
    ///   ``EventSecurityError/Code/badSignature``.
    public func verify(_ event: Event) throws(EventSecurityError) {
        guard let signatureValue = event.extensions[EventCanonicalForm.signatureAttribute] else {
            throw EventSecurityError(
                .unsigned,
                "event '\(event.id)' from '\(event.source)' carries no signature; sign it with EventSigner before "
                    + "publishing"
            )
        }
        guard case .string(let keyID) = event.extensions[EventCanonicalForm.keyIDAttribute] ?? .string("") else {
            throw EventSecurityError(.malformedSignature, "the sigkeyid of event '\(event.id)' is not a string")
        }
        guard let key = keys[keyID] else {
            throw EventSecurityError(
                .unknownKey,
                "event '\(event.id)' is signed with key '\(keyID.prefix(128))', which this consumer does not have; "
                    + "add its verification key"
            )
        }
        guard case .string(let algorithm) = event.extensions[EventCanonicalForm.algorithmAttribute],
            algorithm == key.algorithm
        else {
            throw EventSecurityError(
                .malformedSignature,
                "event '\(event.id)' names an algorithm other than \(key.algorithm), the algorithm of key '\(keyID)'"
            )
        }
        let text: String
        switch signatureValue {
        case .string(let value): text = value
        case .binary(let bytes): text = bytes.base64EncodedString()
        default: throw EventSecurityError(.malformedSignature, "the signature of event '\(event.id)' is not base64")
        }
        guard let signature = Data(base64Encoded: text) else {
            throw EventSecurityError(.malformedSignature, "the signature of event '\(event.id)' is not base64")
        }
        guard key.isValid(signature, for: EventCanonicalForm.bytes(of: event)) else {
            throw EventSecurityError(
                .badSignature,
                "the signature of event '\(event.id)' does not match it: the event was changed after it was signed, "
                    + "or signed with another key than '\(keyID)'"
            )
        }
    }
}
