import Foundation
import HeraldSQLite
import HeraldTesting
import Testing

@Suite struct DurabilityTests {
    @Test func reopeningFindsEventsGroupStateAcknowledgementsAndScheduledEvents() async throws {
        let (_, wallClock) = makeTestClock()
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("events.sqlite").path
            let appended = (1...5).map { makeEvent("e\($0)") }
            let acknowledged = try await withStore(at: path, clock: wallClock) { store in
                _ = try await store.append(appended)
                _ = try await store.append(makeEvent("later", deliverAt: wallClock.now.addingTimeInterval(3_600)))
                _ = try await store.createGroup(
                    ConsumerGroupConfiguration(name: "g", topic: try TopicPattern("orders.>"), maxAttempts: 1)
                )
                let deliveries = try await store.poll(group: "g", max: 3, wait: .zero)
                #expect(try await store.ack(group: "g", deliveryIDs: [deliveries[0].id, deliveries[1].id]) == 2)
                #expect(
                    try await store.nack(group: "g", deliveryIDs: [deliveries[2].id], delay: .zero, error: "x") == 1)
                return Set(deliveries.prefix(2).map(\.sequence))
            }
            try await withStore(at: path, clock: wallClock) { store in
                #expect(try await store.read(after: 0, filter: .all, limit: 10).events.map(\.event) == appended)
                #expect(try await store.lastSequence() == 5)
                #expect(try await store.append(makeEvent("later")).outcome == .duplicateScheduled)
                #expect(try await store.append(makeEvent("e1")).outcome == .duplicate(sequence: 1))
                let info = try #require(try await store.groupInfo(named: "g"))
                #expect((info.lag, info.inFlight, info.deadLetters) == (2, 0, 1))
                let redelivered = try await store.poll(group: "g", max: 10, wait: .zero)
                #expect(redelivered.map(\.sequence) == [4, 5])
                #expect(acknowledged.isDisjoint(with: redelivered.map(\.sequence)))
                #expect(try await store.deadLetters(group: "g", limit: 10).map(\.lastError) == ["x"])
                #expect(try await store.append(makeEvent("e6")).outcome == .stored(sequence: 6))
            }
        }
    }

    @Test func refusesADatabaseWrittenByANewerSchema() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("events.sqlite").path
            try await withStore(at: path) { store in
                _ = try await store.append(makeEvent("kept"))
                try await store.transaction { try await $0.execute("PRAGMA user_version = 99") }
            }
            do {
                let store = try await SQLiteEventStore.open(path: path)
                try await store.close()
                Issue.record("a database with a newer schema was opened")
            } catch let error as EventLogError {
                #expect(error.code == .storage)
                #expect(error.message.contains("schema version 99"))
                #expect(error.message.contains("up to 5"))
                #expect(error.message.contains(path))
            }
        }
    }

    /// A second store on a file that one holds, in this process or another, is refused with a message that
    /// says why and what to do; once the first closes, the file opens again.
    @Test func refusesAFileThatAnotherStoreHolds() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("events.sqlite").path
            let first = try await SQLiteEventStore.open(path: path)
            do {
                let second = try await SQLiteEventStore.open(path: path)
                try await second.close()
                Issue.record("a second store opened a file that another holds")
            } catch let error as EventLogError {
                #expect(error.code == .storage)
                #expect(error.message.contains("open in another Herald store"))
                #expect(error.message.contains(path))
            }
            _ = try await first.append(makeEvent("kept"))
            try await first.close()
            let reopened = try await withStore(at: path) { store in try await store.lastSequence() }
            #expect(reopened == 1)
        }
    }

    /// A close called from a cancelled task (a test's time limit, a shutdown cut short) still closes the files:
    /// the file is free for the next store, which finds every event, and a connection left open would also trip
    /// sqlite-nio's check when the store goes away.
    @Test func aCloseFromACancelledTaskStillClosesTheFile() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("events.sqlite").path
            let store = try await SQLiteEventStore.open(path: path)
            _ = try await store.append(makeEvent("kept"))
            let closing = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                try await store.close()
            }
            try await closing.value
            await #expect(throws: EventLogError.self) { try await store.lastSequence() }
            let reopened = try await withStore(at: path) { store in try await store.lastSequence() }
            #expect(reopened == 1)
        }
    }

    @Test func refusesACorruptFileWithAClearError() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("garbage.sqlite").path
            let garbage = Data((0..<16_384).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) })
            try garbage.write(to: URL(fileURLWithPath: path))
            do {
                let store = try await SQLiteEventStore.open(path: path)
                try await store.close()
                Issue.record("a corrupt file was opened")
            } catch let error as EventLogError {
                #expect(error.code == .storage)
                #expect(error.message.contains(path))
                #expect(error.message.contains("not a readable SQLite database or is damaged"))
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == garbage)
        }
    }

    /// A read-only directory (chmod 0555) stops writes only for users other than root; tests often run
    /// as root, so there the database is opened read-only through SQLite's `mode=ro` URI instead, which
    /// makes SQLite refuse writes the same way.
    @Test func readOnlyLocationGivesAClearErrorAndKeepsCommittedEvents() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("events.sqlite").path
            try await withStore(at: path) { store in _ = try await store.append(makeEvent("kept")) }
            if geteuid() != 0 {
                let locked = directory.appendingPathComponent("locked")
                try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: false)
                chmod(locked.path, 0o555)
                defer { chmod(locked.path, 0o755) }
                let lockedPath = locked.appendingPathComponent("events.sqlite").path
                do {
                    let store = try await SQLiteEventStore.open(path: lockedPath)
                    try await store.close()
                    Issue.record("a store was created in a read-only directory")
                } catch let error as EventLogError {
                    #expect(error.code == .storage)
                    #expect(error.message.contains(lockedPath))
                    #expect(error.message.contains("writable"))
                }
            }
            try await withStore(at: "file:\(path)?mode=ro") { store in
                do {
                    _ = try await store.append(makeEvent("refused"))
                    Issue.record("an append to a read-only database succeeded")
                } catch let error as EventLogError {
                    #expect(error.code == .storage)
                    #expect(error.message.contains("read-only"))
                    #expect(error.message.contains(path))
                }
                #expect(try await store.read(after: 0, filter: .all, limit: 10).events.map(\.event.id) == ["kept"])
            }
        }
    }

    @Test func fullDiskFailsAppendsClearlyAndKeepsWhatWasCommitted() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("events.sqlite").path
            try await withStore(at: path) { _ in }
            let limited = SQLiteEventStore.Configuration(maximumPageCount: 40)
            let committed = try await withStore(at: path, configuration: limited) { store in
                var committed: [AppendResult] = []
                var failure: EventLogError?
                for index in 0..<200 where failure == nil {
                    var event = makeEvent("big-\(index)")
                    event.data = Data(repeating: UInt8(index % 251), count: 8_000)
                    do {
                        committed.append(try await store.append(event))
                    } catch let error as EventLogError {
                        failure = error
                    }
                }
                let error = try #require(failure, "the size limit was never reached")
                #expect(error.code == .storage)
                #expect(error.message.contains("disk is full"))
                #expect(error.message.contains(path))
                #expect(!committed.isEmpty)
                let stored = try await store.read(after: 0, filter: .all, limit: 1_000).events
                #expect(stored.map(\.sequence) == committed.compactMap(\.sequence))
                return committed
            }
            try await withStore(at: path) { store in
                let stored = try await store.read(after: 0, filter: .all, limit: 1_000).events
                #expect(stored.map(\.event.id) == committed.map(\.id))
                #expect(try await store.append(makeEvent("after")).sequence == Int64(committed.count + 1))
            }
        }
    }
}
