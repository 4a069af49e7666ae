import Foundation
import HeraldSQLite
import HeraldTesting
import Testing

@Suite struct CrashTests {
    private struct ChildNotBuilt: Error, CustomStringConvertible {
        var looked: [String]
        var description: String {
            "HeraldSQLiteCrashChild is not built next to the tests (looked at \(looked)); run swift build --build-tests"
        }
    }

    /// The child executable, built with the tests into the same directory as the test bundle.
    private static func childExecutable() throws -> URL {
        let bundleDirectory = Bundle.main.bundleURL.deletingLastPathComponent()
        let candidates = [
            bundleDirectory.appendingPathComponent("HeraldSQLiteCrashChild"),
            Bundle.main.bundleURL.appendingPathComponent("HeraldSQLiteCrashChild"),
        ]
        guard let child = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw ChildNotBuilt(looked: candidates.map(\.path))
        }
        return child
    }

    @Test(.heavy, .timeLimit(.minutes(10)))
    func everyReturnedAppendAndAckSurvivesAKill() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("events.sqlite").path
            let child = Process()
            child.executableURL = try Self.childExecutable()
            child.arguments = [path]
            let output = Pipe()
            child.standardOutput = output
            let lines = Self.lines(of: output.fileHandleForReading)
            try child.run()

            var appended: [String: Int64] = [:]
            var acknowledged = Set<Int64>()
            var iterator = lines.makeAsyncIterator()
            while appended.count < 400 || acknowledged.count < 100, let line = await iterator.next() {
                Self.record(line, appended: &appended, acknowledged: &acknowledged)
            }
            kill(child.processIdentifier, SIGKILL)
            while let line = await iterator.next() {
                Self.record(line, appended: &appended, acknowledged: &acknowledged)
            }
            child.waitUntilExit()
            #expect(child.terminationReason == .uncaughtSignal)
            #expect(appended.count >= 400 && acknowledged.count >= 100, "the child stopped early")

            // A day later every lease the child held has run out, so its unacknowledged deliveries return.
            let later = TestClock().wallClock(epoch: Date().addingTimeInterval(86_400))
            try await withStore(at: path, clock: later) { store in
                var stored: [StoredEvent] = []
                for try await event in store.follow() {
                    stored.append(event)
                    if event.sequence == (try await store.lastSequence()) { break }
                }
                let sequencesByID = Dictionary(grouping: stored, by: \.event.id).mapValues { $0.map(\.sequence) }
                for (id, sequence) in appended {
                    #expect(sequencesByID[id] == [sequence], "append \(id) returned \(sequence)")
                }
                var redelivered = Set<Int64>()
                while true {
                    let deliveries = try await store.poll(group: "crash", max: 1_000, wait: .zero)
                    if deliveries.isEmpty { break }
                    redelivered.formUnion(deliveries.map(\.sequence))
                    _ = try await store.ack(group: "crash", deliveryIDs: deliveries.map(\.id))
                }
                #expect(acknowledged.isDisjoint(with: redelivered), "an acknowledged delivery came back")
                // Each of the child's two consumers acks one delivery at a time, so at most two acks can have
                // committed without their line being written before the kill.
                let unaccounted = Set(stored.map(\.sequence)).subtracting(acknowledged).subtracting(redelivered)
                #expect(unaccounted.count <= 2, "events neither acknowledged nor redelivered: \(unaccounted.sorted())")
                #expect(acknowledged.union(redelivered).isSubset(of: stored.map(\.sequence)))
            }
        }
    }

    /// A router handler on a durable group returns one event with a new id for each order; the child is killed
    /// mid-stream, a second run finishes, and every order has exactly one event caused by it: its events and
    /// its acknowledgement were committed together, so a redelivered order had published nothing.
    @Test(.heavy, .timeLimit(.minutes(10)))
    func aHandlersEventsAndTheAckOfTheirCauseSurviveAKillTogether() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("events.sqlite").path
            var handled = 0
            try await Self.runChild(path: path, transform: true) { line in
                if line.hasPrefix("H ") { handled += 1 }
                return handled < 600
            }
            #expect(handled >= 600, "the child stopped early")
            var finished = false
            try await Self.runChild(path: path, transform: true) { line in
                finished = finished || line == "DONE"
                return true
            }
            #expect(finished, "the second run did not finish the orders")
            try await withStore(at: path) { store in
                let reserved = try await store.read(
                    after: 0, filter: EventFilter(topic: try TopicPattern("stock.reserved")), limit: 10_000)
                let causes = Dictionary(grouping: reserved.events, by: { $0.event.causationID ?? "" })
                let orders = (0..<2_000).map { "order-\($0)" }
                #expect(causes.keys.sorted() == orders.sorted(), "one event for every order, and no other")
                let twice = causes.filter { $0.value.count > 1 }.keys.sorted()
                #expect(twice.isEmpty, "orders with more than one event: \(twice)")
                #expect(try await store.groupInfo(named: "transform")?.lag == 0)
            }
        }
    }

    /// Runs the child on `path` until `proceed` returns false for a line (then kills it with SIGKILL) or the
    /// child exits.
    private static func runChild(path: String, transform: Bool, proceed: (String) -> Bool) async throws {
        let child = Process()
        child.executableURL = try Self.childExecutable()
        child.arguments = transform ? [path, "transform"] : [path]
        let output = Pipe()
        child.standardOutput = output
        let lines = Self.lines(of: output.fileHandleForReading)
        try child.run()
        var iterator = lines.makeAsyncIterator()
        while let line = await iterator.next() {
            guard proceed(line) else {
                kill(child.processIdentifier, SIGKILL)
                break
            }
        }
        while await iterator.next() != nil {}
        child.waitUntilExit()
    }

    private static func record(_ line: String, appended: inout [String: Int64], acknowledged: inout Set<Int64>) {
        let fields = line.split(separator: " ")
        if fields.count == 3, fields[0] == "A", let sequence = Int64(fields[2]) {
            appended[String(fields[1])] = sequence
        } else if fields.count == 2, fields[0] == "K", let sequence = Int64(fields[1]) {
            acknowledged.insert(sequence)
        }
    }

    /// The complete lines written to `handle`, read on a thread of their own until end of file.
    private static func lines(of handle: FileHandle) -> AsyncStream<String> {
        AsyncStream { continuation in
            Thread.detachNewThread {
                var buffer = Data()
                while case let chunk = handle.availableData, !chunk.isEmpty {
                    buffer.append(chunk)
                    while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                        continuation.yield(String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self))
                        buffer.removeSubrange(buffer.startIndex...newline)
                    }
                }
                continuation.finish()
            }
        }
    }
}
