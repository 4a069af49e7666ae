import AsyncHTTPClient
import Foundation
import Herald
import HeraldServer
import HeraldTesting
import HummingbirdWSClient
import NIOCore
import NIOFoundationEssentialsCompat
import NIOHTTP1
import NIOSSL
import NIOWebSocket
import Testing

/// A throwaway authority and server certificate, written to a temporary directory for the length of `body`.
func withTestCertificates(
    _ body: (_ certificates: TestCertificates, _ files: (authority: String, certificate: String, key: String))
        async throws -> Void
) async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-tls-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let certificates = try TestCertificates()
    try await body(certificates, try certificates.write(to: directory))
}

/// Runs `body` with an HTTP client that trusts `authorityPEM`, shut down afterwards.
func withTrustingClient(authorityPEM: String, _ body: (HTTPClient) async throws -> Void) async throws {
    let authority = try NIOSSLCertificate.fromPEMBytes(Array(authorityPEM.utf8))
    var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(10), read: nil))
    var tls = TLSConfiguration.makeClientConfiguration()
    tls.trustRoots = .certificates(authority)
    configuration.tlsConfiguration = tls
    configuration.connectionPool.retryConnectionEstablishment = false
    let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    do {
        try await body(client)
    } catch {
        try await client.shutdown()
        throw error
    }
    try await client.shutdown()
}

@Suite("HTTPS and WSS with --tls-cert and --tls-key")
struct TLSTests {
    private static func configuration(_ files: (authority: String, certificate: String, key: String)) throws
        -> HeraldServerConfiguration
    {
        var configuration = HeraldServerConfiguration()
        configuration.tls = try ServerTLS.load(certificateFile: files.certificate, keyFile: files.key)
        return configuration
    }

    @Test func publishesAndReadsOverHTTPS() async throws {
        try await withTestCertificates { certificates, files in
            let store = InMemoryEventStore()
            let build = LiveServer.herald(store: store, configuration: try Self.configuration(files))
            try await LiveServer.run(build) { port in
                try await withTrustingClient(authorityPEM: certificates.authorityPEM) { client in
                    var publish = HTTPClientRequest(url: "https://127.0.0.1:\(port)/v1/events")
                    publish.method = .POST
                    publish.headers.add(name: "Content-Type", value: Event.jsonMediaType)
                    publish.body = .bytes(ByteBuffer(data: events(1, prefix: "tls")[0].jsonData()))
                    let published = try await client.execute(publish, timeout: requestHangLimit)
                    _ = try await published.body.collect(upTo: 1 << 20)
                    #expect(published.status.code == 201)

                    let read = try await client.execute(
                        HTTPClientRequest(url: "https://127.0.0.1:\(port)/v1/events?after=0"), timeout: requestHangLimit
                    )
                    let body = String(buffer: try await read.body.collect(upTo: 1 << 20))
                    #expect(read.status.code == 200)
                    #expect(body.contains(#""id":"tls-0""#))
                }
            }
            #expect(try await store.read(after: 0, filter: .all, limit: 10).events.map(\.event.id) == ["tls-0"])
        }
    }

    @Test func streamsServerSentEventsOverHTTPS() async throws {
        try await withTestCertificates { certificates, files in
            let store = InMemoryEventStore()
            try await LiveServer.run(LiveServer.herald(store: store, configuration: try Self.configuration(files))) {
                port in
                try await withTrustingClient(authorityPEM: certificates.authorityPEM) { client in
                    var stream = try await ServerSentEventsClient.connect(
                        port: port, query: "after=0", scheme: "https", client: client)
                    #expect(stream.response.status.code == 200)
                    _ = try await store.append(events(2, prefix: "sse"))
                    let frames = try await stream.events(2)
                    #expect(frames.map(\.sequence) == [1, 2])
                }
            }
        }
    }

    @Test func streamsOverWSS() async throws {
        try await withTestCertificates { certificates, files in
            let store = InMemoryEventStore()
            _ = try await store.append(events(2, prefix: "wss"))
            try await LiveServer.run(LiveServer.herald(store: store, configuration: try Self.configuration(files))) {
                port in
                var tls = TLSConfiguration.makeClientConfiguration()
                tls.trustRoots = .certificates(
                    try NIOSSLCertificate.fromPEMBytes(Array(certificates.authorityPEM.utf8)))
                // NIOSSL sends no IP address as the server name, so the name checked is the certificate's DNS name.
                try await WebSocketClient.connect(
                    url: "wss://127.0.0.1:\(port)/v1/ws?after=0", configuration: .init(sniHostname: "localhost"),
                    tlsConfiguration: tls, logger: quietLogger
                ) { inbound, outbound, _ in
                    var messages = TextMessages(inbound)
                    let first = try await messages.nextObject()
                    let second = try await messages.nextObject()
                    #expect([first["sequence"] as? Int, second["sequence"] as? Int] == [1, 2])
                    try await outbound.close(.normalClosure, reason: nil)
                }
            }
        }
    }

    @Test func plainHTTPToTheTLSPortGetsNoAnswer() async throws {
        try await withTestCertificates { _, files in
            let store = InMemoryEventStore()
            try await LiveServer.run(LiveServer.herald(store: store, configuration: try Self.configuration(files))) {
                port in
                let client = HTTPClient(
                    eventLoopGroup: HTTPClient.defaultEventLoopGroup,
                    configuration: .init(timeout: .init(read: .seconds(10))))
                defer { _ = client.shutdown() }
                await #expect(throws: (any Error).self) {
                    let response = try await client.execute(
                        HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz"), timeout: .seconds(10))
                    _ = try await response.body.collect(upTo: 1 << 20)
                }
            }
        }
    }

    @Test func aClientThatDoesNotTrustTheAuthorityIsRefused() async throws {
        try await withTestCertificates { _, files in
            try await LiveServer.run(
                LiveServer.herald(store: InMemoryEventStore(), configuration: try Self.configuration(files))
            ) { port in
                let other = try TestCertificates()
                try await withTrustingClient(authorityPEM: other.authorityPEM) { client in
                    await #expect(throws: (any Error).self) {
                        _ = try await client.execute(
                            HTTPClientRequest(url: "https://127.0.0.1:\(port)/healthz"), timeout: .seconds(10))
                    }
                }
            }
        }
    }
}

@Suite("ServerTLS.load: clear errors for the certificate and key files")
struct ServerTLSLoadingTests {
    private func message(_ body: () throws -> Void) -> String {
        do {
            try body()
            Issue.record("expected an error")
            return ""
        } catch let error as HeraldServerConfigurationError {
            return error.message
        } catch {
            Issue.record("expected a HeraldServerConfigurationError, got \(error)")
            return ""
        }
    }

    @Test func loadsAMatchingPair() async throws {
        try await withTestCertificates { _, files in
            let tls = try ServerTLS.load(certificateFile: files.certificate, keyFile: files.key)
            #expect(tls.certificateChain.count == 1)
        }
    }

    @Test func aMissingFileIsNamedWithItsFlag() async throws {
        try await withTestCertificates { _, files in
            let missingCertificate = message {
                _ = try ServerTLS.load(certificateFile: "/nonexistent/cert.pem", keyFile: files.key)
            }
            #expect(missingCertificate.contains("--tls-cert"))
            #expect(missingCertificate.contains("'/nonexistent/cert.pem' does not exist"))
            let missingKey = message {
                _ = try ServerTLS.load(certificateFile: files.certificate, keyFile: "/nonexistent/key.pem")
            }
            #expect(missingKey.contains("--tls-key"))
            #expect(missingKey.contains("'/nonexistent/key.pem' does not exist"))
        }
    }

    @Test func aDirectoryIsNotAFile() async throws {
        try await withTestCertificates { _, files in
            let directory = URL(fileURLWithPath: files.key).deletingLastPathComponent().path
            let error = message { _ = try ServerTLS.load(certificateFile: directory, keyFile: files.key) }
            #expect(error.contains("is a directory"))
        }
    }

    @Test func filesThatAreNotPEMAreNamed() async throws {
        try await withTestCertificates { _, files in
            let swapped = message { _ = try ServerTLS.load(certificateFile: files.key, keyFile: files.key) }
            #expect(swapped.contains("holds no PEM certificate"))
            let keyIsACertificate = message {
                _ = try ServerTLS.load(certificateFile: files.certificate, keyFile: files.certificate)
            }
            #expect(keyIsACertificate.contains("(--tls-key)"))
            #expect(keyIsACertificate.contains("holds no PEM private key"))
        }
    }

    @Test func aKeyOfAnotherCertificateIsAMismatch() async throws {
        try await withTestCertificates { _, files in
            let other = try TestCertificates()
            let otherKey = URL(fileURLWithPath: files.key).deletingLastPathComponent()
                .appendingPathComponent("other-key.pem")
            try Data(other.serverPrivateKeyPEM.utf8).write(to: otherKey)
            let error = message { _ = try ServerTLS.load(certificateFile: files.certificate, keyFile: otherKey.path) }
            #expect(error.contains("does not belong to the certificate"))
        }
    }

    @Test func anEncryptedKeyIsRefusedWithoutAPrompt() async throws {
        try await withTestCertificates { _, files in
            let encrypted = URL(fileURLWithPath: files.key).deletingLastPathComponent()
                .appendingPathComponent("encrypted-key.pem")
            try Data("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n".utf8)
                .write(to: encrypted)
            let error = message { _ = try ServerTLS.load(certificateFile: files.certificate, keyFile: encrypted.path) }
            #expect(error.contains("encrypted with a passphrase"))
        }
    }
}
