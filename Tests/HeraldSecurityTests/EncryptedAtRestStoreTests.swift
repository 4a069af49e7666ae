import Foundation
import Herald
import HeraldSQLite
import HeraldSecurity
import HeraldTesting
import Testing

@Suite("encryption at rest: EncryptedAtRestStore")
struct EncryptedAtRestStoreTests {
    static let secret = "the-plaintext-marker-4f1c9e"

    static func event(_ id: String, data: String = #"{"card":"\#(secret)"}"#) -> Event {
        Event(
            id: id, source: "/shop", type: "orders.paid", dataContentType: "application/json",
            data: Data(data.utf8))
    }

    /// An at-rest store over a SQLite file in a fresh directory, closed and removed after `body`, which gets the
    /// store and the directory.
    static func withSQLite(
        encryptor: EventEncryptor,
        _ body: (EncryptedAtRestStore, SQLiteEventStore, URL) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-at-rest-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let sqlite = try await SQLiteEventStore.open(path: directory.appendingPathComponent("events.db").path)
        do {
            try await body(EncryptedAtRestStore(base: sqlite, encryptor: encryptor), sqlite, directory)
        } catch {
            try? await sqlite.close()
            throw error
        }
        try await sqlite.close()
    }

    @Test func theSQLiteFilesHoldNoPlaintextWhileEveryReadReturnsIt() async throws {
        let encryptor = EventEncryptor(current: try .random(id: "rest-1"))
        try await Self.withSQLite(encryptor: encryptor) { store, sqlite, directory in
            let original = Self.event("e-1")
            _ = try await store.append(original)
            #expect(try await store.read(after: 0, filter: .all, limit: 10).events.map(\.event) == [original])

            let underneath = try #require(try await sqlite.read(after: 0, filter: .all, limit: 10).events.first?.event)
            #expect(underneath.dataContentType == EventEncryptor.encryptedContentType)
            #expect(underneath.extensions[EncryptedAtRestStore.keyIDAttribute] == .string("rest-1"))
            #expect(underneath.data.map { String(decoding: $0, as: UTF8.self).contains(Self.secret) } == false)

            _ = try await store.createGroup(.init(name: "billing", topic: try TopicPattern("orders.>"), maxAttempts: 1))
            let delivery = try #require(try await store.poll(group: "billing", max: 1, wait: .zero).first)
            #expect(delivery.event == original)
            _ = try await store.nack(group: "billing", deliveryIDs: [delivery.id], delay: .zero, error: "boom")
            #expect(try await store.deadLetters(group: "billing", limit: 10).map(\.stored.event) == [original])

            try await sqlite.close()
            for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
                let bytes = try Data(contentsOf: directory.appendingPathComponent(name))
                #expect(bytes.range(of: Data(Self.secret.utf8)) == nil, "\(name) holds the plaintext")
            }
        }
    }

    @Test func withoutEncryptionTheMarkerIsFoundInTheFile() async throws {
        // The check above can fail: the same search finds the plaintext when nothing encrypts it.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-plain-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let sqlite = try await SQLiteEventStore.open(path: directory.appendingPathComponent("events.db").path)
        _ = try await sqlite.append(Self.event("plain"))
        try await sqlite.close()
        let found = try FileManager.default.contentsOfDirectory(atPath: directory.path).contains { name in
            (try? Data(contentsOf: directory.appendingPathComponent(name)))?.range(of: Data(Self.secret.utf8)) != nil
        }
        #expect(found)
    }

    @Test func endToEndEncryptedEventsAndEventsWithoutDataPassAsTheyCame() async throws {
        let store = EncryptedAtRestStore(
            base: InMemoryEventStore(), encryptor: EventEncryptor(current: try .random(id: "rest")))
        let endToEnd = try EventEncryptor(current: try .random(id: "publisher")).encrypt(Self.event("e2e"))
        let empty = Event(id: "empty", source: "/shop", type: "orders.paid")
        var ownExtension = Self.event("own")
        ownExtension.extensions["enccontenttype"] = .string("publisher's value")
        _ = try await store.append([endToEnd, empty, ownExtension], expecting: nil)
        let events = try await store.read(after: 0, filter: .all, limit: 10).events.map(\.event)
        #expect(events == [endToEnd, empty, ownExtension])
        let underneath = try await store.base.read(after: 0, filter: .all, limit: 10).events.map(\.event)
        #expect(underneath[0] == endToEnd)
        #expect(underneath[2].extensions["enccontenttype"] == .string("publisher's value"))
        #expect(underneath[2].extensions[EncryptedAtRestStore.keyIDAttribute] != nil)
    }

    @Test func anEventCarryingTheMarkerIsRefused() async throws {
        let store = EncryptedAtRestStore(
            base: InMemoryEventStore(), encryptor: EventEncryptor(current: try .random(id: "rest")))
        var forged = Self.event("forged")
        forged.extensions[EncryptedAtRestStore.keyIDAttribute] = .string("rest")
        let error = await #expect(throws: EventLogError.self) { _ = try await store.append(forged) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("'atrestkeyid'") == true)
        #expect(try await store.lastSequence() == 0)
    }

    @Test func rotationReadsOldEventsAndAMissingKeyFailsReadsClearly() async throws {
        let base = InMemoryEventStore()
        let old = try EventEncryptionKey.random(id: "old")
        _ = try await EncryptedAtRestStore(base: base, encryptor: EventEncryptor(current: old)).append(Self.event("1"))
        let rotated = EncryptedAtRestStore(
            base: base, encryptor: EventEncryptor(current: try .random(id: "new"), previous: [old]))
        _ = try await rotated.append(Self.event("2"))
        #expect(
            try await rotated.read(after: 0, filter: .all, limit: 10).events.map(\.event) == [
                Self.event("1"), Self.event("2"),
            ])

        let forgetful = EncryptedAtRestStore(base: base, encryptor: EventEncryptor(current: try .random(id: "new")))
        let error = await #expect(throws: EventLogError.self) {
            _ = try await forgetful.read(after: 0, filter: .all, limit: 10)
        }
        #expect(error?.code == .storage)
        #expect(error?.message.contains("'old'") == true)
    }

    @Test(arguments: [
        ("no-colon", "has no ':'"),
        ("k:not base64!", "not valid base64"),
        ("k:" + Data(count: 16).base64EncodedString(), "has 16 bytes"),
        (":" + Data(count: 32).base64EncodedString(), "key"),
    ])
    func keyTextIsCheckedWithAReason(text: String, reason: String) {
        do {
            _ = try EventEncryptionKey(parsing: text)
            Issue.record("expected an error for \(text)")
        } catch {
            #expect(error.code == .invalidKey)
            #expect(error.message.contains(reason), "\(error.message)")
        }
    }

    @Test func keyTextGivesTheKey() throws {
        let key = try EventEncryptionKey(parsing: "2026-11:" + Data(repeating: 7, count: 32).base64EncodedString())
        #expect(key.id == "2026-11")
    }
}
