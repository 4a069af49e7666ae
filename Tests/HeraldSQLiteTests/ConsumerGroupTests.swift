import Foundation
import HeraldSQLite
import HeraldTesting
import Logging
import Testing

@Suite struct ConsumerGroupTests {
    private func group(
        _ name: String = "workers",
        topic: String = "orders.>",
        start: ConsumerGroupConfiguration.StartPosition = .earliest,
        maxAttempts: Int = 3,
        // Longer than any stall of a loaded machine: tests that let leases expire set it and move a test clock.
        ackTimeout: Duration = .seconds(3_600),
        ordered: Bool = false
    ) throws -> ConsumerGroupConfiguration {
        ConsumerGroupConfiguration(
            name: name,
            topic: try TopicPattern(topic),
            start: start,
            maxAttempts: maxAttempts,
            ackTimeout: ackTimeout,
            ordered: ordered
        )
    }

    @Test func createIsIdempotentAndRefusesOtherSettings() async throws {
        try await withTemporaryStore { store in
            #expect(try await store.createGroup(try group()))
            #expect(try await store.createGroup(try group()) == false)
            do {
                _ = try await store.createGroup(try group(maxAttempts: 9))
                Issue.record("a conflicting group was accepted")
            } catch let error as EventLogError {
                #expect(error.code == .groupConflict)
                #expect(error.message.contains("max_attempts 3 vs 9"))
            }
            await #expect(throws: EventLogError.self) { try await store.createGroup(try group("bad name")) }
            #expect(try await store.groups().map(\.configuration) == [try group()])
            #expect(try await store.deleteGroup(named: "workers"))
            #expect(try await store.deleteGroup(named: "workers") == false)
            let info = try await store.groupInfo(named: "workers")
            #expect(info == nil)
        }
    }

    @Test func deliversMatchingEventsInOrderAndAckRemovesThem() async throws {
        try await withTemporaryStore { store in
            _ = try await store.createGroup(try group())
            _ = try await store.append([makeEvent("1"), makeEvent("x", type: "billing.paid"), makeEvent("2")])
            let deliveries = try await store.poll(group: "workers", max: 10, wait: .zero)
            #expect(deliveries.map(\.event.id) == ["1", "2"])
            #expect(deliveries.map(\.attempt) == [1, 1])
            var info = try #require(try await store.groupInfo(named: "workers"))
            #expect((info.lag, info.inFlight, info.deadLetters) == (2, 2, 0))
            #expect(try await store.ack(group: "workers", deliveryIDs: deliveries.map(\.id) + ["unknown"]) == 2)
            #expect(try await store.ack(group: "workers", deliveryIDs: deliveries.map(\.id)) == 0)
            info = try #require(try await store.groupInfo(named: "workers"))
            #expect((info.lag, info.inFlight, info.deadLetters) == (0, 0, 0))
            #expect(try await store.poll(group: "workers", max: 10, wait: .zero).isEmpty)
            await #expect(throws: EventLogError.self) { try await store.poll(group: "nobody", max: 1, wait: .zero) }
        }
    }

    @Test func expiredLeaseRedeliversAndTheOldDeliveryIDNoLongerAcknowledges() async throws {
        let (testClock, wallClock) = makeTestClock()
        try await withTemporaryStore(clock: wallClock) { store in
            _ = try await store.createGroup(try group(maxAttempts: 2, ackTimeout: .seconds(10)))
            _ = try await store.append(makeEvent("1"))
            let first = try await store.poll(group: "workers", max: 1, wait: .zero)
            #expect(try await store.poll(group: "workers", max: 1, wait: .zero).isEmpty)
            testClock.advance(by: .seconds(10))
            #expect(try await store.groupInfo(named: "workers")?.inFlight == 0)
            let second = try await store.poll(group: "workers", max: 1, wait: .zero)
            #expect(second.map(\.attempt) == [2])
            #expect(second.first?.id != first.first?.id)
            #expect(try await store.ack(group: "workers", deliveryIDs: first.map(\.id)) == 0)

            testClock.advance(by: .seconds(10))
            let dead = try await store.deadLetters(group: "workers", limit: 10)
            #expect(dead.map(\.stored.event.id) == ["1"])
            #expect(dead.first?.attempts == 2)
            #expect(dead.first?.lastError?.hasPrefix("lease expired after") == true)
            #expect(try await store.groupInfo(named: "workers")?.deadLetters == 1)
            #expect(try await store.groupInfo(named: "workers")?.lag == 0)

            #expect(try await store.requeueDeadLetters(group: "workers", sequences: nil) == 1)
            let requeued = try await store.poll(group: "workers", max: 1, wait: .zero)
            #expect(requeued.map(\.attempt) == [1])
            #expect(try await store.ack(group: "workers", deliveryIDs: requeued.map(\.id)) == 1)
        }
    }

    @Test func nackRedeliversAfterTheDelayAndDeadLettersTheLastAttempt() async throws {
        let (testClock, wallClock) = makeTestClock()
        try await withTemporaryStore(clock: wallClock) { store in
            _ = try await store.createGroup(try group(maxAttempts: 2))
            _ = try await store.append(makeEvent("1"))
            let first = try await store.poll(group: "workers", max: 1, wait: .zero)
            #expect(
                try await store.nack(group: "workers", deliveryIDs: first.map(\.id), delay: .seconds(5), error: "boom")
                    == 1)
            #expect(try await store.poll(group: "workers", max: 1, wait: .zero).isEmpty)
            #expect(try await store.groupInfo(named: "workers")?.lag == 1)

            async let redelivered = store.poll(group: "workers", max: 1, wait: .seconds(30))
            try await testClock.waitForSleepers(1)
            testClock.advance(by: .seconds(5))
            let second = try await redelivered
            #expect(second.map(\.attempt) == [2])
            #expect(
                try await store.nack(group: "workers", deliveryIDs: second.map(\.id), delay: .zero, error: "again") == 1
            )
            let dead = try await store.deadLetters(group: "workers", limit: 10)
            #expect(dead.map(\.lastError) == ["again"])
            #expect(dead.map(\.attempts) == [2])
        }
    }

    @Test func orderedModeHoldsBackOnlyTheLaterEventsOfTheSameKey() async throws {
        try await withTemporaryStore { store in
            _ = try await store.createGroup(try group(ordered: true))
            _ = try await store.append([
                makeEvent("a1", partitionKey: "a"), makeEvent("a2", partitionKey: "a"),
                makeEvent("b1", partitionKey: "b"), makeEvent("n1"), makeEvent("a3", partitionKey: "a"),
            ])
            let first = try await store.poll(group: "workers", max: 10, wait: .zero)
            #expect(first.map(\.event.id) == ["a1", "b1", "n1"])
            let a1 = try #require(first.first)
            #expect(try await store.nack(group: "workers", deliveryIDs: [a1.id], delay: .zero, error: nil) == 1)
            let retry = try await store.poll(group: "workers", max: 10, wait: .zero)
            #expect(retry.map(\.event.id) == ["a1"])
            #expect(try await store.ack(group: "workers", deliveryIDs: retry.map(\.id)) == 1)
            #expect(try await store.poll(group: "workers", max: 10, wait: .zero).map(\.event.id) == ["a2"])
        }
    }

    /// Leases live in the memory of the process that owns the file (`GroupPosition`): a restart ends them, and
    /// what they held comes again at once, the cut-short attempt not counted. Acks made out of order before
    /// it, beyond a delivery still out, stay acknowledged; a nack's attempt stays counted.
    @Test func aRestartEndsTheLeasesAndKeepsEveryAckAndAttempt() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("events.sqlite").path
            try await withStore(at: path) { store in
                _ = try await store.createGroup(try group())
                _ = try await store.append((1...6).map { makeEvent("e\($0)") })
                let first = try await store.poll(group: "workers", max: 2, wait: .zero)
                let second = try await store.poll(group: "workers", max: 2, wait: .zero)
                #expect(second.map(\.event.id) == ["e3", "e4"])
                // Acknowledged while e1 and e2, below them, are still out.
                #expect(try await store.ack(group: "workers", deliveryIDs: second.map(\.id)) == 2)
                let third = try await store.poll(group: "workers", max: 1, wait: .zero)
                #expect(
                    try await store.nack(group: "workers", deliveryIDs: third.map(\.id), delay: .zero, error: "x")
                        == 1)
                #expect(first.map(\.event.id) == ["e1", "e2"])
            }
            try await withStore(at: path) { store in
                let info = try await store.groupInfo(named: "workers")
                #expect(info?.lag == 4)
                #expect(info?.inFlight == 0)
                let again = try await store.poll(group: "workers", max: 10, wait: .zero)
                #expect(again.map(\.event.id) == ["e1", "e2", "e5", "e6"])
                #expect(again.map(\.attempt) == [1, 1, 2, 1])
                #expect(try await store.ack(group: "workers", deliveryIDs: again.map(\.id)) == 4)
                #expect(try await store.groupInfo(named: "workers")?.lag == 0)
                #expect(try await store.groupRowCount("workers") == 0)
            }
        }
    }

    /// A group whose record of its deliveries in flight was damaged by hand still opens, and delivers again
    /// every event it had read above its floor, acknowledged or not, rather than lose one; a warning says so.
    @Test func anUnreadableRecordOfDeliveriesInFlightRedeliversRatherThanLoses() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("events.sqlite").path
            try await withStore(at: path) { store in
                _ = try await store.createGroup(try group())
                _ = try await store.append((1...5).map { makeEvent("e\($0)") } + [makeEvent("x", type: "other.thing")])
                _ = try await store.poll(group: "workers", max: 2, wait: .zero)
                let second = try await store.poll(group: "workers", max: 2, wait: .zero)
                #expect(try await store.ack(group: "workers", deliveryIDs: second.map(\.id)) == 2)
                try await store.transaction { tx in
                    try await tx.execute("UPDATE consumer_groups SET holes = '3,x' WHERE name = 'workers'")
                }
            }
            let logs = CapturedLogs()
            let store = try await SQLiteEventStore.open(
                path: path, logger: Logger(label: "test") { _ in CapturingLogHandler(logs: logs) })
            let again = try await store.poll(group: "workers", max: 10, wait: .zero)
            try await store.close()
            #expect(again.map(\.event.id) == ["e1", "e2", "e3", "e4", "e5"])
            #expect(
                logs.records.contains {
                    $0.level == .warning && $0.message.contains("unreadable") && $0.metadata["group"] == "workers"
                })
        }
    }

    /// In an ordered group, events held back behind their partition key survive a restart in order, and the
    /// key's event that was out comes first.
    @Test func anOrderedGroupKeepsEachKeysOrderAcrossARestart() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("events.sqlite").path
            try await withStore(at: path) { store in
                _ = try await store.createGroup(try group(ordered: true))
                _ = try await store.append([
                    makeEvent("a1", partitionKey: "a"), makeEvent("b1", partitionKey: "b"),
                    makeEvent("a2", partitionKey: "a"), makeEvent("b2", partitionKey: "b"),
                ])
                let first = try await store.poll(group: "workers", max: 10, wait: .zero)
                #expect(first.map(\.event.id) == ["a1", "b1"])
                // Acknowledging b1 saves the position, with a1 out and a2 and b2 held back.
                #expect(try await store.ack(group: "workers", deliveryIDs: [first[1].id]) == 1)
            }
            try await withStore(at: path) { store in
                var seen: [String] = []
                for _ in 0..<4 {
                    let batch = try await store.poll(group: "workers", max: 10, wait: .zero)
                    seen += batch.map(\.event.id)
                    _ = try await store.ack(group: "workers", deliveryIDs: batch.map(\.id))
                }
                #expect(seen.filter { $0.hasPrefix("a") } == ["a1", "a2"])
                #expect(seen.filter { $0.hasPrefix("b") } == ["b2"])
                #expect(try await store.groupInfo(named: "workers")?.lag == 0)
            }
        }
    }

    @Test func longPollIsWokenByAnAppend() async throws {
        try await withTemporaryStore { store in
            _ = try await store.createGroup(try group())
            async let deliveries = store.poll(group: "workers", max: 5, wait: .seconds(30))
            _ = try await store.append(makeEvent("late"))
            #expect(try await deliveries.map(\.event.id) == ["late"])
            #expect(try await store.poll(group: "workers", max: 5, wait: .milliseconds(20)).isEmpty)
        }
    }

    @Test func startPositionsChooseTheFirstEvent() async throws {
        let (testClock, wallClock) = makeTestClock()
        try await withTemporaryStore(clock: wallClock) { store in
            _ = try await store.append([makeEvent("1"), makeEvent("2")])
            testClock.advance(by: .seconds(60))
            let minuteLater = wallClock.now
            _ = try await store.append(makeEvent("3"))
            _ = try await store.createGroup(try group("earliest"))
            _ = try await store.createGroup(try group("latest", start: .latest))
            _ = try await store.createGroup(try group("after", start: .after(sequence: 1)))
            _ = try await store.createGroup(try group("time", start: .time(minuteLater)))
            _ = try await store.append(makeEvent("4"))
            func ids(_ name: String) async throws -> [String] {
                try await store.poll(group: name, max: 10, wait: .zero).map(\.event.id)
            }
            #expect(try await ids("earliest") == ["1", "2", "3", "4"])
            #expect(try await ids("latest") == ["4"])
            #expect(try await ids("after") == ["2", "3", "4"])
            #expect(try await ids("time") == ["3", "4"])
            #expect(try await store.groupInfo(named: "time")?.configuration.start == .time(minuteLater))
        }
    }

    @Test func closeEndsAWaitingPollAndRefusesLaterCalls() async throws {
        let store = try await SQLiteEventStore.openTemporary()
        _ = try await store.createGroup(try group())
        let poll = Task { try await store.poll(group: "workers", max: 1, wait: .seconds(60)) }
        try await store.close()
        await #expect(
            throws: EventLogError(
                .closed, "the SQLite event store at '\(store.path)' is closed; open it again to use it")
        ) {
            try await poll.value
        }
        await #expect(throws: EventLogError.self) { try await store.append(makeEvent()) }
        #expect(!FileManager.default.fileExists(atPath: store.path))
    }
}
