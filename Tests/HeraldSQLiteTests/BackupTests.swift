import Foundation
import Herald
import HeraldSQLite
import HeraldTesting
import Synchronization
import Testing

@Suite struct BackupTests {
    /// While appends and acks go on, a backup holds every event appended and every ack made before it began,
    /// and a store started on the copy reads them back and resumes the group where the acks left it.
    @Test func aBackupUnderLoadHoldsEverythingAcknowledgedBeforeItBegan() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("events.sqlite").path
            let copyPath = directory.appendingPathComponent("backup.sqlite").path
            let load = Load()
            let (before, ackedBefore, summary): ([String: Int64], Set<Int64>, SQLiteBackup.Summary) =
                try await withStore(at: path) { store in
                    _ = try await store.createGroup(
                        ConsumerGroupConfiguration(
                            name: "billing", topic: try TopicPattern(">"), ackTimeout: .seconds(3_600)))
                    let appender = Task {
                        var batch = 0
                        while !load.stop.load(ordering: .relaxed), batch < 5_000 {
                            let events = (0..<10).map { makeEvent("e-\(batch)-\($0)") }
                            let results = try await store.append(events)
                            load.appended.withLock { map in
                                for result in results { map[result.id] = result.sequence }
                            }
                            batch += 1
                        }
                    }
                    let consumer = Task {
                        while !load.stop.load(ordering: .relaxed) {
                            let deliveries = try await store.poll(group: "billing", max: 20, wait: .milliseconds(20))
                            _ = try await store.ack(group: "billing", deliveryIDs: deliveries.map(\.id))
                            load.acknowledged.withLock { $0.formUnion(deliveries.map(\.sequence)) }
                        }
                    }
                    // Let the load build up, then take what was answered before the backup began.
                    try await waitUntil {
                        load.appended.withLock { $0.count } >= 500 && load.acknowledged.withLock { !$0.isEmpty }
                    }
                    let before = load.appended.withLock { $0 }
                    let ackedBefore = load.acknowledged.withLock { $0 }
                    let summary = try await SQLiteBackup.copy(databaseAt: path, to: copyPath)
                    load.stop.store(true, ordering: .relaxed)
                    try await appender.value
                    try await consumer.value
                    return (before, ackedBefore, summary)
                }
            #expect(summary.lastSequence >= before.values.max() ?? 0)

            try await withStore(at: copyPath) { copy in
                var stored: [String: Int64] = [:]
                var after: Int64 = 0
                while true {
                    let page = try await copy.read(after: after, filter: EventFilter(), limit: 1_000)
                    for event in page.events { stored[event.event.id] = event.sequence }
                    if page.nextAfter == after { break }
                    after = page.nextAfter
                }
                #expect(Int64(stored.count) == summary.events)
                let missing = before.filter { stored[$0.key] != $0.value }
                #expect(missing.isEmpty, "appended before the backup, missing from it: \(missing.count)")

                // The group resumes from the copy: nothing acknowledged before the backup comes again.
                var redelivered = Set<Int64>()
                while true {
                    let deliveries = try await copy.poll(group: "billing", max: 1_000, wait: .zero)
                    if deliveries.isEmpty { break }
                    redelivered.formUnion(deliveries.map(\.sequence))
                    _ = try await copy.ack(group: "billing", deliveryIDs: deliveries.map(\.id))
                }
                #expect(redelivered.isDisjoint(with: ackedBefore), "an ack made before the backup was lost")
            }
        }
    }

    @Test func aBackupRefusesAnExistingFileAMissingDatabaseAndAFileThatIsNoStore() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("events.sqlite").path
            let taken = directory.appendingPathComponent("taken.sqlite").path
            try Data("keep me".utf8).write(to: URL(fileURLWithPath: taken))
            try await withStore(at: path) { store in _ = try await store.append(makeEvent("kept")) }

            let exists = await #expect(throws: EventLogError.self) {
                _ = try await SQLiteBackup.copy(databaseAt: path, to: taken)
            }
            #expect(exists?.message.contains("exists already") == true)
            #expect(try Data(contentsOf: URL(fileURLWithPath: taken)) == Data("keep me".utf8), "nothing overwritten")

            let nowhere = directory.appendingPathComponent("nowhere.sqlite").path
            let missing = await #expect(throws: EventLogError.self) {
                _ = try await SQLiteBackup.copy(
                    databaseAt: nowhere, to: directory.appendingPathComponent("b1.sqlite").path)
            }
            #expect(missing?.message.contains("no database") == true)
            #expect(!FileManager.default.fileExists(atPath: nowhere), "no empty database was made")

            // An empty file is an empty SQLite database: no Herald tables.
            let plain = directory.appendingPathComponent("plain.sqlite").path
            FileManager.default.createFile(atPath: plain, contents: Data())
            let notStore = await #expect(throws: EventLogError.self) {
                _ = try await SQLiteBackup.copy(
                    databaseAt: plain, to: directory.appendingPathComponent("b2.sqlite").path)
            }
            #expect(notStore?.message.contains("not a Herald event store") == true)
            #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("b2.sqlite").path))
        }
    }

    private func waitUntil(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + testHangLimit
        while !condition() {
            guard ContinuousClock.now < deadline else { throw LoadNeverBuilt() }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    struct LoadNeverBuilt: Error {}

    /// What the appender and the consumer have had answered, and the flag that stops them.
    final class Load: Sendable {
        let appended = Mutex<[String: Int64]>([:])
        let acknowledged = Mutex<Set<Int64>>([])
        let stop = Atomic(false)
    }
}
