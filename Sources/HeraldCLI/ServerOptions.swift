import ArgumentParser
import AsyncHTTPClient
import Foundation
import HeraldClient
import NIOSSL

/// `--server` and `--api-key`, shared by the commands that talk to a running `herald serve`.
struct ServerOptions: ParsableArguments {
    /// The server address used when neither `--server` nor `HERALD_SERVER` gives one.
    static let defaultServer = "http://127.0.0.1:8080"

    @Option(help: "The Herald server's URL. (default: $HERALD_SERVER or \(ServerOptions.defaultServer))")
    var server: String?

    @Option(help: "The API key, sent as 'Authorization: Bearer KEY'. (default: $HERALD_API_KEY)")
    var apiKey: String?

    @Option(
        help: ArgumentHelp(
            "Also trust the certificate authorities in this PEM file for an https:// server, such as a self-signed "
                + "server certificate. (default: $HERALD_CA_CERT)",
            valueName: "file"))
    var caCert: String?

    func validate() throws {
        _ = try serverURL()
        _ = try httpClientConfiguration()
    }

    /// The HTTP client's settings: ``HeraldClient/fastFailingConfiguration``, trusting the authorities of
    /// `--ca-cert` (else `HERALD_CA_CERT`) when given.
    func httpClientConfiguration(environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> HTTPClient.Configuration
    {
        guard let certificates = try certificateAuthorities(environment: environment) else {
            return HeraldClient.fastFailingConfiguration
        }
        return HeraldClient.fastFailingConfiguration(trusting: certificates)
    }

    /// The TLS settings of a WebSocket to an `https://` server: trusting the authorities of `--ca-cert` (else
    /// `HERALD_CA_CERT`) too when given; `nil` (the system's) otherwise.
    func webSocketTLSConfiguration(environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> TLSConfiguration?
    {
        try certificateAuthorities(environment: environment).map(HeraldClient.webSocketTLSConfiguration(trusting:))
    }

    /// The certificates of `--ca-cert` (else `HERALD_CA_CERT`); `nil` when neither is given.
    private func certificateAuthorities(environment: [String: String]) throws -> [NIOSSLCertificate]? {
        guard let path = caCert ?? environment["HERALD_CA_CERT"], !path.isEmpty else { return nil }
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw ValidationError(
                "the CA certificate file (--ca-cert or HERALD_CA_CERT) '\(path)' does not exist or cannot be read; "
                    + "give the path of a PEM file")
        }
        let certificates = (try? NIOSSLCertificate.fromPEMBytes(Array(bytes))) ?? []
        guard !certificates.isEmpty else {
            throw ValidationError(
                "the CA certificate file (--ca-cert or HERALD_CA_CERT) '\(path)' holds no PEM certificate; give "
                    + "certificates in PEM form, starting '-----BEGIN CERTIFICATE-----'")
        }
        return certificates
    }

    /// `--server`, else `HERALD_SERVER`, else the default, checked to be an http(s) URL with a host.
    func serverURL(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
        let text = server ?? environment["HERALD_SERVER"] ?? Self.defaultServer
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https", url.host?.isEmpty == false
        else {
            throw ValidationError(
                "the server '\(text)' is not an http:// or https:// URL with a host; use one such as "
                    + "'\(Self.defaultServer)' in --server or HERALD_SERVER")
        }
        return url
    }

    /// `--api-key`, else `HERALD_API_KEY`; an empty value means none.
    func resolvedAPIKey(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        let key = apiKey ?? environment["HERALD_API_KEY"]
        return key?.isEmpty == false ? key : nil
    }

    /// Runs `body` with a client for the server, then shuts its HTTP client down. A
    /// ``HeraldClientError`` is printed on stderr (the server's problem detail, or why it could not be
    /// reached) and ends the command with exit code 1.
    func withClient<Result>(_ body: (HeraldClient) async throws -> Result) async throws -> Result {
        let httpClient = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: try httpClientConfiguration())
        let client = HeraldClient(baseURL: try serverURL(), apiKey: resolvedAPIKey(), httpClient: httpClient)
        let result: Result
        do {
            result = try await body(client)
        } catch let error as HeraldClientError {
            try? await httpClient.shutdown()
            Output.error(Output.message(for: error))
            throw ExitCode.failure
        } catch {
            try? await httpClient.shutdown()
            throw error
        }
        try await httpClient.shutdown()
        return result
    }
}
