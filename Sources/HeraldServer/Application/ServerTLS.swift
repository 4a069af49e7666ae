import Foundation
import NIOSSL

/// The certificate chain and private key the server proves its identity with, so that it serves HTTPS and WSS
/// instead of plain HTTP and WS on its port.
///
/// Build it with ``load(certificateFile:keyFile:)`` from PEM files (what `herald serve --tls-cert FILE
/// --tls-key FILE` does), or from certificates and a key already in memory with
/// ``init(certificateChain:privateKey:)``. Both check that the key belongs to the first certificate, so that a
/// mistake shows when the server is configured rather than at the first client's handshake.
public struct ServerTLS: Sendable, Hashable {
    /// The server's certificate first, then any intermediates that lead to a root clients trust.
    public let certificateChain: [NIOSSLCertificate]
    /// The private key of the first certificate.
    public let privateKey: NIOSSLPrivateKey

    /// Creates the settings from a chain and its key.
    ///
    /// - Throws: ``HeraldServerConfigurationError`` when the chain is empty or the key does not belong to its
    ///   first certificate.
    public init(certificateChain: [NIOSSLCertificate], privateKey: NIOSSLPrivateKey)
        throws(HeraldServerConfigurationError)
    {
        guard !certificateChain.isEmpty else {
            throw HeraldServerConfigurationError("TLS needs at least one certificate; the chain given is empty")
        }
        self.certificateChain = certificateChain
        self.privateKey = privateKey
        do {
            _ = try NIOSSLContext(configuration: tlsConfiguration)
        } catch {
            throw HeraldServerConfigurationError(
                "the TLS private key does not belong to the certificate, or one of them cannot be used (\(error)); "
                    + "give the key that was generated with this certificate")
        }
    }

    /// Reads the certificate chain and private key from PEM files.
    ///
    /// `certificateFile` holds one or more `-----BEGIN CERTIFICATE-----` blocks, the server's own first;
    /// `keyFile` holds its private key (`-----BEGIN PRIVATE KEY-----`, or the RSA or EC forms), not encrypted.
    ///
    /// - Throws: ``HeraldServerConfigurationError`` naming the flag and the file that is missing, unreadable or
    ///   not PEM, or saying that the key does not belong to the certificate.
    public static func load(certificateFile: String, keyFile: String) throws(HeraldServerConfigurationError)
        -> ServerTLS
    {
        let certificateBytes = try contents(of: certificateFile, flag: "--tls-cert", what: "certificate")
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMBytes(certificateBytes)
        } catch {
            certificates = []
        }
        guard !certificates.isEmpty else {
            throw HeraldServerConfigurationError(
                "the TLS certificate file (--tls-cert) '\(certificateFile)' holds no PEM certificate; give the "
                    + "certificate chain in PEM form, starting '-----BEGIN CERTIFICATE-----'")
        }
        let keyBytes = try contents(of: keyFile, flag: "--tls-key", what: "private key")
        if String(decoding: keyBytes, as: UTF8.self).contains("ENCRYPTED") {
            throw HeraldServerConfigurationError(
                "the TLS private key file (--tls-key) '\(keyFile)' is encrypted with a passphrase, which herald "
                    + "cannot ask for; decrypt it first, for example with 'openssl pkey -in KEY -out PLAIN_KEY'")
        }
        let key: NIOSSLPrivateKey
        do {
            // A callback, so that BoringSSL never prompts on the terminal for a passphrase; it supplies none.
            key = try NIOSSLPrivateKey(bytes: keyBytes, format: .pem) { (_: ([UInt8]) -> Void) in }
        } catch {
            throw HeraldServerConfigurationError(
                "the TLS private key file (--tls-key) '\(keyFile)' holds no PEM private key; give the key in PEM "
                    + "form, starting '-----BEGIN PRIVATE KEY-----'")
        }
        do {
            return try ServerTLS(certificateChain: certificates, privateKey: key)
        } catch {
            throw HeraldServerConfigurationError(
                "the TLS private key in '\(keyFile)' (--tls-key) does not belong to the certificate in "
                    + "'\(certificateFile)' (--tls-cert); give the key that was generated with this certificate")
        }
    }

    /// The server side of NIOSSL's configuration: TLS 1.2 or later, presenting the chain.
    public var tlsConfiguration: TLSConfiguration {
        .makeServerConfiguration(
            certificateChain: certificateChain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
    }

    private static func contents(of path: String, flag: String, what: String) throws(HeraldServerConfigurationError)
        -> [UInt8]
    {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw HeraldServerConfigurationError(
                "the TLS \(what) file (\(flag)) '\(path)' does not exist; give the path of a PEM file")
        }
        guard !isDirectory.boolValue else {
            throw HeraldServerConfigurationError(
                "the TLS \(what) file (\(flag)) '\(path)' is a directory; give the path of a PEM file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw HeraldServerConfigurationError(
                "the TLS \(what) file (\(flag)) '\(path)' cannot be read; check its permissions")
        }
        return Array(data)
    }
}
