import ArgumentParser
import Crypto
import Foundation
import HeraldSecurity

/// The key `herald publish --sign-with` signs events with: `KEYID:hmac:BASE64SECRET` or
/// `KEYID:ed25519:BASE64PRIVATEKEY` (the 32 raw bytes of the private key), the counterpart of
/// `herald serve --verification-key`.
enum SigningKeyOption {
    static let form =
        "write the signing key as KEYID:hmac:BASE64SECRET or KEYID:ed25519:BASE64PRIVATEKEY (32 bytes), such as "
        + "'2026-11:hmac:\(Data(count: 32).base64EncodedString())'"

    /// Parses `text`, naming what is wrong and never repeating the key material.
    static func parse(_ text: String) throws -> EventSigningKey {
        let parts = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty else {
            throw ValidationError("--sign-with does not have three ':'-separated parts; \(form)")
        }
        let id = String(parts[0].prefix(128))
        guard let bytes = Data(base64Encoded: String(parts[2])) else {
            throw ValidationError("the key material of --sign-with key '\(id)' is not base64; \(form)")
        }
        do {
            switch parts[1].lowercased() {
            case "hmac", "hmac-sha256":
                return try .hmacSHA256(id: id, secret: bytes)
            case "ed25519":
                return try .ed25519(id: id, privateKey: try Curve25519.Signing.PrivateKey(rawRepresentation: bytes))
            default:
                throw ValidationError(
                    "--sign-with key '\(id)' names algorithm '\(parts[1].prefix(40))'; use hmac or ed25519; \(form)")
            }
        } catch let error as ValidationError {
            throw error
        } catch let error as EventSecurityError {
            throw ValidationError("--sign-with key '\(id)': \(error.message)")
        } catch {
            throw ValidationError("--sign-with key '\(id)': an Ed25519 private key is 32 bytes, got \(bytes.count)")
        }
    }
}
