import Crypto
import Foundation
import SwiftASN1
import X509

/// A throwaway certificate authority and a server certificate it signed for `localhost` and `127.0.0.1`, made
/// when a test runs, for testing HTTPS and WSS without committing keys.
///
/// Serve with ``serverCertificatePEM`` and ``serverPrivateKeyPEM``; make clients trust ``authorityPEM``. The
/// certificates are valid from an hour ago (so that clock skew does not matter) for a day.
public struct TestCertificates: Sendable {
    /// The authority's certificate, for a client to trust.
    public let authorityPEM: String
    /// The server's certificate, signed by the authority.
    public let serverCertificatePEM: String
    /// The server certificate's private key (P-256, PKCS #8 PEM).
    public let serverPrivateKeyPEM: String

    /// Makes a new authority and server certificate, with fresh keys.
    public init() throws {
        let now = Date()
        let authorityKey = P256.Signing.PrivateKey()
        let authorityName = try DistinguishedName { CommonName("Herald test authority") }
        let authority = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(),
            publicKey: Certificate.PublicKey(authorityKey.publicKey),
            notValidBefore: now - 3600, notValidAfter: now + 86400,
            issuer: authorityName, subject: authorityName,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true))
            },
            issuerPrivateKey: Certificate.PrivateKey(authorityKey))
        let serverKey = P256.Signing.PrivateKey()
        let server = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(),
            publicKey: Certificate.PublicKey(serverKey.publicKey),
            notValidBefore: now - 3600, notValidAfter: now + 86400,
            issuer: authorityName, subject: try DistinguishedName { CommonName("localhost") },
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames([
                    .dnsName("localhost"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])),
                ])
            },
            issuerPrivateKey: Certificate.PrivateKey(authorityKey))
        authorityPEM = try authority.serializeAsPEM().pemString
        serverCertificatePEM = try server.serializeAsPEM().pemString
        serverPrivateKeyPEM = serverKey.pemRepresentation
    }

    /// Writes the three PEM files into `directory` as `authority.pem`, `server.pem` and `server-key.pem`.
    ///
    /// - Returns: Their paths.
    public func write(to directory: URL) throws -> (authority: String, certificate: String, key: String) {
        let files = [
            ("authority.pem", authorityPEM), ("server.pem", serverCertificatePEM),
            ("server-key.pem", serverPrivateKeyPEM),
        ]
        let paths = try files.map { name, text in
            let url = directory.appendingPathComponent(name)
            try Data(text.utf8).write(to: url)
            return url.path
        }
        return (paths[0], paths[1], paths[2])
    }
}
