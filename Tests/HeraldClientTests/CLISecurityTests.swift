import ArgumentParser
import Foundation
import Herald
import HeraldClient
import HeraldSecurity
import HeraldServer
import HeraldTesting
import Hummingbird
import HummingbirdTesting
import Testing

@testable import HeraldCLI

@Suite("herald serve --tls-cert/--tls-key/--encrypt-at-rest and herald --ca-cert")
struct CLISecurityTests {
    /// A throwaway authority and server certificate, written to a temporary directory for the length of `body`.
    func withCertificateFiles(
        _ body: (_ files: (authority: String, certificate: String, key: String)) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("herald-cli-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try await body(try TestCertificates().write(to: directory))
    }

    /// The exit code and message ArgumentParser gives for what `body` throws while parsing.
    func parseFailure(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation)
        -> (code: Int32, message: String)
    {
        do {
            try body()
            Issue.record("expected a parse error", sourceLocation: sourceLocation)
            return (0, "")
        } catch {
            return (ServeCommand.exitCode(for: error).rawValue, HeraldCommand.message(for: error))
        }
    }

    @Test func serveReadsTheCertificateAndKey() async throws {
        try await withCertificateFiles { files in
            let command = try ServeCommand.parse(["--tls-cert", files.certificate, "--tls-key", files.key])
            let (configuration, _) = try command.resolved()
            #expect(configuration.tls != nil)
            #expect(try ServeCommand.parse([]).resolved().0.tls == nil)
        }
    }

    @Test func serveExitsWith64NamingAMissingOrMismatchedFile() async throws {
        try await withCertificateFiles { files in
            let missing = parseFailure {
                _ = try ServeCommand.parse(["--tls-cert", "/nonexistent/cert.pem", "--tls-key", files.key])
            }
            #expect(missing.code == 64)
            #expect(missing.message.contains("'/nonexistent/cert.pem' does not exist"))

            let onlyCertificate = parseFailure { _ = try ServeCommand.parse(["--tls-cert", files.certificate]) }
            #expect(onlyCertificate.code == 64)
            #expect(onlyCertificate.message.contains("--tls-cert needs --tls-key"))

            let onlyKey = parseFailure { _ = try ServeCommand.parse(["--tls-key", files.key]) }
            #expect(onlyKey.message.contains("--tls-key needs --tls-cert"))

            let otherKey = URL(fileURLWithPath: files.key).deletingLastPathComponent()
                .appendingPathComponent("other-key.pem")
            try Data(try TestCertificates().serverPrivateKeyPEM.utf8).write(to: otherKey)
            let mismatched = parseFailure {
                _ = try ServeCommand.parse(["--tls-cert", files.certificate, "--tls-key", otherKey.path])
            }
            #expect(mismatched.code == 64)
            #expect(mismatched.message.contains("does not belong to the certificate"))
        }
    }

    @Test func clientCommandsRefuseAnUnreadableCAFile() async throws {
        try await withCertificateFiles { files in
            let missing = parseFailure {
                _ = try PublishCommand.parse(["--type", "t", "--source", "/s", "--ca-cert", "/nonexistent/ca.pem"])
            }
            #expect(missing.code == 64)
            #expect(missing.message.contains("'/nonexistent/ca.pem' does not exist or cannot be read"))
            let notPEM = parseFailure {
                _ = try PublishCommand.parse(["--type", "t", "--source", "/s", "--ca-cert", files.key])
            }
            #expect(notPEM.message.contains("holds no PEM certificate"))
        }
    }

    @Test func publishAndQueryOverHTTPSTrustingTheAuthority() async throws {
        try await withCertificateFiles { files in
            let store = InMemoryEventStore()
            var configuration = HeraldServerConfiguration(host: "127.0.0.1", port: 0)
            configuration.tls = try ServerTLS.load(certificateFile: files.certificate, keyFile: files.key)
            try await buildHeraldApplication(store: store, configuration: configuration).test(.live) { testClient in
                let port = try #require(testClient.port)
                let server = "https://127.0.0.1:\(port)"
                try await PublishCommand.parse([
                    "--type", "orders.placed", "--source", "/cli", "--id", "tls-1", "--server", server,
                    "--ca-cert", files.authority,
                ]).run()
                let untrusted = try PublishCommand.parse([
                    "--type", "orders.placed", "--source", "/cli", "--id", "tls-2", "--server", server,
                ])
                await #expect(throws: ExitCode.failure) { try await untrusted.run() }
            }
            #expect(try await store.read(after: 0, filter: .all, limit: 10).events.map(\.event.id) == ["tls-1"])
        }
    }

    @Test func serveEncryptsAtRestWithTheFirstKeyAndRefusesBadKeys() throws {
        let key = Data(repeating: 1, count: 32).base64EncodedString()
        let command = try ServeCommand.parse(["--encrypt-at-rest", "new:\(key)", "--encrypt-at-rest", "old:\(key)"])
        #expect(try command.servedStore(InMemoryEventStore()) is EncryptedAtRestStore)
        #expect(try ServeCommand.parse([]).servedStore(InMemoryEventStore()) is InMemoryEventStore)

        let short = parseFailure {
            _ = try ServeCommand.parse(["--encrypt-at-rest", "k:" + Data(count: 8).base64EncodedString()])
        }
        #expect(short.code == 64)
        #expect(short.message.contains("--encrypt-at-rest: the encryption key 'k' has 8 bytes"))
        let twice = parseFailure {
            _ = try ServeCommand.parse(["--encrypt-at-rest", "k:\(key)", "--encrypt-at-rest", "k:\(key)"])
        }
        #expect(twice.message.contains("an id is given twice"))
    }

    @Test func aServerEncryptingAtRestAnswersPlaintextOnQueriesStreamsAndGroups() async throws {
        let base = InMemoryEventStore()
        let store = EncryptedAtRestStore(base: base, encryptor: EventEncryptor(current: try .random(id: "rest")))
        let application = buildHeraldApplication(
            store: store, configuration: HeraldServerConfiguration(host: "127.0.0.1", port: 0))
        let original = orderEvent(id: "secret-1", data: #"{"card":"4111-secret"}"#)
        try await application.test(.live) { testClient in
            try await withHeraldClient(port: try #require(testClient.port)) { client in
                _ = try await client.createGroup(.init(name: "billing", topic: try TopicPattern("orders.>")))
                _ = try await client.publish(original)
                #expect(try await client.query(after: 0).events.map(\.event) == [original])
                var stream = client.stream(after: 0, reconnects: false).makeAsyncIterator()
                #expect(try await stream.next()?.event == original)
                #expect(try await client.poll(group: "billing", max: 1, wait: .zero).map(\.event) == [original])

                var forged = orderEvent(id: "forged")
                forged.extensions[EncryptedAtRestStore.keyIDAttribute] = .string("rest")
                let error = await clientError { _ = try await client.publish(forged) }
                #expect(error.map { "\($0)" }?.contains("atrestkeyid") == true)
            }
        }
        let underneath = try await base.read(after: 0, filter: .all, limit: 10).events.map(\.event)
        #expect(underneath.count == 1)
        #expect(underneath.first?.data != original.data)
        #expect(underneath.first?.dataContentType == EventEncryptor.encryptedContentType)
    }
}
