import Foundation
import Herald
import Testing

/// The behaviours every ``ProcessStore`` backend must show, as test cases a backend's test target runs against
/// its own store in a few lines.
///
/// ```swift
/// @Test(arguments: ProcessStoreConformance.cases(supporting: fixture.capabilities))
/// func conformance(_ testCase: ProcessStoreConformanceCase) async throws {
///     try await testCase.run(MyProcessStoreFixture())
/// }
/// ```
public enum ProcessStoreConformance {
    /// Every case, in a stable order.
    public static let cases: [ProcessStoreConformanceCase] = [
        firstSaveIsVersionOne, staleVersionsAreRefused, eventsAreSavedWithTheRecord, oneOfConcurrentSavesWins,
        concurrentSavesOfOtherInstancesAreIndependent,
        savedEventsAreIdempotentAndMayBeScheduled, recordsListInKeyOrderPerProcess, recordsSurviveAReopen,
        invalidArgumentsAreRefused,
    ]

    /// The cases a fixture with `capabilities` can run; pass these to `@Test(arguments:)`.
    public static func cases(supporting capabilities: Capabilities) -> [ProcessStoreConformanceCase] {
        cases.filter { capabilities.isSuperset(of: $0.requirements) }
    }

    static let epoch = Date(timeIntervalSince1970: 1_767_225_600)

    static func event(_ id: String, type: String = "shop.order.placed") -> Event {
        Event(id: id, source: "/conformance/processes", type: type, subject: "order-1")
    }

    static func ids(in store: any ProcessStore & EventLog) async throws -> [String] {
        try await store.read(after: 0, filter: .all, limit: 1_000).events.map(\.event.id)
    }

    static let firstSaveIsVersionOne = ProcessStoreConformanceCase(
        name: "an instance never saved has no record; the first save is version 1 with its document, flag and time",
        requirements: .controllableClock
    ) { store, clock in
        #expect(try await store.processRecord("order", key: "order-1") == nil)
        clock.advance(by: .seconds(90))
        let saved = try await store.saveProcess(
            "order", key: "order-1", document: Data(#"{"status":"new"}"#.utf8), isFinished: false,
            expectedVersion: 0, publishing: [])
        let loaded = try #require(try await store.processRecord("order", key: "order-1"))
        #expect(loaded == saved)
        #expect(loaded.version == 1)
        #expect(loaded.document == Data(#"{"status":"new"}"#.utf8))
        #expect(!loaded.isFinished)
        #expect(abs(loaded.updatedAt.timeIntervalSince(epoch.addingTimeInterval(90))) < 0.001)
        // Another process with the same key is another instance.
        #expect(try await store.processRecord("payment", key: "order-1") == nil)
        let finished = try await store.saveProcess(
            "order", key: "order-1", document: Data("{}".utf8), isFinished: true, expectedVersion: 1, publishing: [])
        #expect(finished.version == 2)
        #expect(try await store.processRecord("order", key: "order-1")?.isFinished == true)
    }

    static let staleVersionsAreRefused = ProcessStoreConformanceCase(
        name: "a save at a stale version is refused naming both versions, and stores and appends nothing"
    ) { store, _ in
        try await store.saveProcess(
            "order", key: "order-1", document: Data("1".utf8), isFinished: false, expectedVersion: 0, publishing: [])
        for stale: Int64 in [0, 2, 7] {
            let error = await #expect(throws: EventLogError.self) {
                try await store.saveProcess(
                    "order", key: "order-1", document: Data("lost".utf8), isFinished: false, expectedVersion: stale,
                    publishing: [event("lost-\(stale)")])
            }
            #expect(error?.code == .versionConflict)
            #expect(error?.message.contains("version 1, not \(stale)") == true, "\(String(describing: error))")
        }
        let record = try #require(try await store.processRecord("order", key: "order-1"))
        #expect(record.version == 1)
        #expect(record.document == Data("1".utf8))
        #expect(try await ids(in: store).isEmpty)
    }

    static let eventsAreSavedWithTheRecord = ProcessStoreConformanceCase(
        name: "a save appends its events with the record; a save with an invalid event stores neither"
    ) { store, _ in
        try await store.saveProcess(
            "order", key: "order-1", document: Data("1".utf8), isFinished: false, expectedVersion: 0,
            publishing: [event("reserve"), event("notify", type: "shop.notification.sent")])
        #expect(try await ids(in: store) == ["reserve", "notify"])
        let invalid = Event(id: "", source: "/conformance/processes", type: "shop.bad")
        let error = await #expect(throws: EventBatchError.self) {
            try await store.saveProcess(
                "order", key: "order-1", document: Data("2".utf8), isFinished: false, expectedVersion: 1,
                publishing: [event("fine"), invalid])
        }
        #expect(error?.index == 1)
        #expect(try await store.processRecord("order", key: "order-1")?.version == 1)
        #expect(try await ids(in: store) == ["reserve", "notify"])
    }

    static let oneOfConcurrentSavesWins = ProcessStoreConformanceCase(
        name: "of concurrent saves at the same version exactly one wins, and only its events are appended"
    ) { store, _ in
        for round in 0..<3 {
            let expected = Int64(round)
            let outcomes = try await withThrowingTaskGroup(of: Bool.self) { tasks in
                for racer in 0..<8 {
                    tasks.addTask {
                        do {
                            try await store.saveProcess(
                                "stock", key: "sku-1", document: Data("r\(round)-\(racer)".utf8), isFinished: false,
                                expectedVersion: expected, publishing: [event("r\(round)-\(racer)")])
                            return true
                        } catch let error as EventLogError where error.code == .versionConflict {
                            return false
                        }
                    }
                }
                return try await tasks.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 1, "round \(round): \(outcomes)")
        }
        let record = try #require(try await store.processRecord("stock", key: "sku-1"))
        #expect(record.version == 3)
        let appended = try await ids(in: store)
        #expect(appended.count == 3)
        #expect(appended.last.map { Data($0.utf8) } == record.document)
    }

    static let concurrentSavesOfOtherInstancesAreIndependent = ProcessStoreConformanceCase(
        name: "concurrent saves of different instances all succeed, and a stale one among them fails alone"
    ) { store, _ in
        try await store.saveProcess(
            "order", key: "stale", document: Data("1".utf8), isFinished: false, expectedVersion: 0, publishing: [])
        let outcomes = try await withThrowingTaskGroup(of: (String, Bool).self) { tasks in
            for index in 0..<20 {
                tasks.addTask {
                    let key = index == 7 ? "stale" : "order-\(index)"
                    do {
                        try await store.saveProcess(
                            "order", key: key, document: Data(key.utf8), isFinished: false, expectedVersion: 0,
                            publishing: [event("out-\(index)")])
                        return (key, true)
                    } catch let error as EventLogError where error.code == .versionConflict {
                        return (key, false)
                    }
                }
            }
            return try await tasks.reduce(into: [String: Bool]()) { $0[$1.0] = $1.1 }
        }
        #expect(outcomes.filter { !$0.value }.map(\.key) == ["stale"])
        // Every save's event but the stale one's, which was rolled back with it.
        #expect(Set(try await ids(in: store)) == Set((0..<20).filter { $0 != 7 }.map { "out-\($0)" }))
        #expect(try await store.processRecord("order", key: "stale")?.document == Data("1".utf8))
        #expect(try await store.processRecords("order", after: nil, limit: 100).count == 20)
    }

    static let savedEventsAreIdempotentAndMayBeScheduled = ProcessStoreConformanceCase(
        name: "a save's events are stored once by source and id, and one with a later deliverat is scheduled",
        requirements: .controllableClock
    ) { store, clock in
        var timeout = event("timeout", type: "shop.order.payment-timeout")
        timeout.deliverAt = epoch.addingTimeInterval(60)
        try await store.saveProcess(
            "order", key: "order-1", document: Data("1".utf8), isFinished: false, expectedVersion: 0,
            publishing: [event("reserve"), timeout])
        // A step repeated after a crash publishes the same ids again.
        try await store.saveProcess(
            "order", key: "order-1", document: Data("2".utf8), isFinished: false, expectedVersion: 1,
            publishing: [event("reserve"), timeout])
        #expect(try await ids(in: store) == ["reserve"])
        let last = try await store.lastSequence()
        let waiter = Task { try await store.waitForEvents(after: last, timeout: .seconds(120)) }
        try await clock.waitForSleepers(1)
        clock.advance(by: .seconds(61))
        #expect(try await waiter.value, "the scheduled event falls due")
        #expect(try await ids(in: store) == ["reserve", "timeout"])
    }

    static let recordsListInKeyOrderPerProcess = ProcessStoreConformanceCase(
        name: "records list in key order, page by page, for one process only"
    ) { store, _ in
        let keys = ["order-3", "order-1", "order-10", "order-2", "Order-9"]
        for key in keys {
            try await store.saveProcess(
                "order", key: key, document: Data(key.utf8), isFinished: false, expectedVersion: 0, publishing: [])
        }
        try await store.saveProcess(
            "payment", key: "order-1", document: Data(), isFinished: false, expectedVersion: 0, publishing: [])
        var listed: [String] = []
        var after: String?
        while true {
            let page = try await store.processRecords("order", after: after, limit: 2)
            listed += page.map(\.key)
            guard page.count == 2 else { break }
            after = page.last?.key
        }
        // Byte order: upper case before lower case, "order-10" before "order-2".
        #expect(listed == ["Order-9", "order-1", "order-10", "order-2", "order-3"])
        #expect(
            try await store.processRecords("order", after: nil, limit: 10).allSatisfy {
                $0.document == Data($0.key.utf8)
            })
        #expect(try await store.processRecords("payment", after: nil, limit: 10).map(\.key) == ["order-1"])
        #expect(try await store.processRecords("shipping", after: nil, limit: 10).isEmpty)
    }

    static let recordsSurviveAReopen = ProcessStoreConformanceCase.checkingAfterReopen(
        name: "records and their versions survive a reopen",
        requirements: .durableRestart
    ) { store, _ in
        try await store.saveProcess(
            "order", key: "order-1", document: Data("1".utf8), isFinished: false, expectedVersion: 0, publishing: [])
        try await store.saveProcess(
            "order", key: "order-1", document: Data("2".utf8), isFinished: true, expectedVersion: 1,
            publishing: [event("shipped")])
        return { reopened in
            let record = try #require(try await reopened.processRecord("order", key: "order-1"))
            #expect(record.version == 2)
            #expect(record.document == Data("2".utf8))
            #expect(record.isFinished)
            #expect(try await ids(in: reopened) == ["shipped"])
            let error = await #expect(throws: EventLogError.self) {
                try await reopened.saveProcess(
                    "order", key: "order-1", document: Data(), isFinished: false, expectedVersion: 1, publishing: [])
            }
            #expect(error?.code == .versionConflict)
        }
    }

    static let invalidArgumentsAreRefused = ProcessStoreConformanceCase(
        name: "empty names and keys, negative versions and bad limits are refused with a message"
    ) { store, _ in
        let attempts: [(String, @Sendable () async throws -> Void)] = [
            ("process name", { _ = try await store.processRecord("", key: "k") }),
            ("correlation key", { _ = try await store.processRecord("order", key: "") }),
            (
                "negative",
                {
                    try await store.saveProcess(
                        "order", key: "k", document: Data(), isFinished: false, expectedVersion: -1, publishing: [])
                }
            ),
            ("limit", { _ = try await store.processRecords("order", after: nil, limit: 0) }),
        ]
        for (words, attempt) in attempts {
            let error = await #expect(throws: EventLogError.self) { try await attempt() }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message.contains(words) == true, "\(String(describing: error))")
        }
    }
}

/// Makes the stores the process conformance suite tests: one fixture per case run.
public protocol ProcessStoreFixture: Sendable {
    /// What the backend supports; cases needing more are skipped.
    var capabilities: Capabilities { get }

    /// Makes a new, empty store that reads time from `clock`.
    func makeStore(clock: any WallClock) async throws -> any ProcessStore & EventLog

    /// Closes `store` and opens the same storage again; only called with ``Capabilities/durableRestart``.
    func reopen(_ store: any ProcessStore & EventLog, clock: any WallClock) async throws -> any ProcessStore & EventLog

    /// Closes `store` and removes its storage.
    func tearDown(_ store: any ProcessStore & EventLog) async throws
}

extension ProcessStoreFixture {
    /// Throws: a fixture without ``Capabilities/durableRestart`` cannot reopen a store.
    public func reopen(_ store: any ProcessStore & EventLog, clock: any WallClock) async throws
        -> any ProcessStore & EventLog
    {
        throw ConformanceFailure("\(Self.self) cannot reopen a store; add .durableRestart and implement reopen")
    }

    /// Does nothing.
    public func tearDown(_ store: any ProcessStore & EventLog) async throws {}
}

/// One behaviour of the process suite, runnable against any ``ProcessStoreFixture``.
public typealias ProcessStoreConformanceCase = ReopeningConformanceCase<any ProcessStore & EventLog>

extension ReopeningConformanceCase where Store == any ProcessStore & EventLog {
    /// Runs the case against `fixture`; returns at once when the fixture lacks a requirement.
    public func run(_ fixture: any ProcessStoreFixture) async throws {
        try await run(
            capabilities: fixture.capabilities, epoch: ProcessStoreConformance.epoch,
            makeStore: fixture.makeStore(clock:),
            reopen: fixture.reopen(_:clock:), tearDown: fixture.tearDown(_:))
    }
}
