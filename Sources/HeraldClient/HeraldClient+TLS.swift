import AsyncHTTPClient
import NIOSSL

extension HeraldClient {
    /// ``fastFailingConfiguration`` that also trusts `certificateAuthorities` for HTTPS and WSS: for a server
    /// whose certificate a private authority signed, or a self-signed one.
    ///
    /// The system's trusted roots still count, and the server's name is still checked against its
    /// certificate.
    public static func fastFailingConfiguration(trusting certificateAuthorities: [NIOSSLCertificate])
        -> HTTPClient.Configuration
    {
        var configuration = fastFailingConfiguration
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.additionalTrustRoots = [.certificates(certificateAuthorities)]
        configuration.tlsConfiguration = tls
        return configuration
    }
}
