import ArgumentParser
import Foundation
import Herald
import HeraldClient
import Synchronization
import Testing

@testable import HeraldCLI

@Suite("herald client commands against a live server")
struct CLIEndToEndTests {
    @Test func publishCommandStoresTheEvent() async throws {
        let server = LiveServer()
        try await server.run { _, port in
            let command = try PublishCommand.parse([
                "--type", "orders.placed", "--source", "/cli", "--id", "cli-1", "--subject", "o-9",
                "--data", #"{"total":7}"#, "--partition-key", "k", "--server", "http://127.0.0.1:\(port)",
            ])
            try await command.run()
        }
        let stored = try await server.store.read(after: 0, filter: EventFilter(), limit: 10).events
        #expect(stored.count == 1)
        let event = try #require(stored.first?.event)
        #expect(event.id == "cli-1")
        #expect(event.source == "/cli")
        #expect(event.subject == "o-9")
        #expect(event.partitionKey == "k")
        #expect(event.data == Data(#"{"total":7}"#.utf8))
    }

    /// `publish --stdin`: each line an event, published as a stream; one printed line per event, in order, a
    /// blank line skipped, a line that is not an event reported with its number, and a repeat a duplicate.
    @Test func publishFromStandardInputPrintsOneLinePerEventInOrder() async throws {
        let server = LiveServer()
        let printed = Mutex<[String]>([])
        let reported = Mutex<[String]>([])
        let json = { (event: Event) in String(decoding: event.jsonData(), as: UTF8.self) }
        let input = [
            json(orderEvent(id: "in-1")), json(orderEvent(id: "in-2")), "", "not an event",
            json(orderEvent(id: "in-3")), json(orderEvent(id: "in-1")),
        ]
        let lines = AsyncStream<String> { continuation in
            for line in input { continuation.yield(line) }
            continuation.finish()
        }
        try await server.run { client, port in
            let command = try PublishCommand.parse(["--stdin", "--server", "http://127.0.0.1:\(port)"])
            let failures = try await command.publish(
                lines: lines, with: client, printing: { line in printed.withLock { $0.append(line) } },
                reporting: { line in reported.withLock { $0.append(line) } })
            #expect(failures == 1)
        }
        #expect(
            printed.withLock { $0 } == [
                "published orders.placed id=in-1 source=/shop sequence 1",
                "published orders.placed id=in-2 source=/shop sequence 2",
                "published orders.placed id=in-3 source=/shop sequence 3",
                "published orders.placed id=in-1 source=/shop sequence 1 (duplicate: already stored, not stored again)",
            ])
        let errors = reported.withLock { $0 }
        #expect(errors.count == 1)
        #expect(errors.first?.hasPrefix("error: line 4 is not an event: ") == true)
        let stored = try await server.store.read(after: 0, filter: EventFilter(), limit: 10).events
        #expect(stored.map(\.event.id) == ["in-1", "in-2", "in-3"])
    }

    @Test func queryCommandReadsWhatWasPublished() async throws {
        let server = LiveServer()
        try await server.run { client, port in
            _ = try await client.publish([orderEvent(id: "1"), orderEvent(id: "2", type: "other")])
            let command = try QueryCommand.parse([
                "--topic", "orders.*", "--json", "--server", "http://127.0.0.1:\(port)",
            ])
            try await command.run()
            let lines = QueryCommand.lines(try await command.page(using: client), json: command.json)
            #expect(lines.count == 1)
            #expect(lines.first?.hasPrefix(#"{"sequence":1,"event":{"specversion":"1.0","id":"1""#) == true)
        }
    }

    @Test func queryCommandSelectsATimeRange() async throws {
        let server = LiveServer()
        try await server.run { client, port in
            let base = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01T00:00:00Z
            _ = try await client.publish(
                (0..<4).map { hour in
                    Event(
                        id: "h-\(hour)", source: "/cli", type: "reading",
                        time: base.addingTimeInterval(Double(hour) * 3_600))
                })
            let command = try QueryCommand.parse([
                "--from", "2026-01-01T01:00:00Z", "--until", "2026-01-01T04:00:00+01:00",
                "--server", "http://127.0.0.1:\(port)",
            ])
            #expect(try await command.page(using: client).events.map(\.event.id) == ["h-1", "h-2"])
        }
    }

    @Test func serverErrorsEndTheCommandWithExitCodeOne() async throws {
        try await LiveServer().run { _, port in
            let command = try QueryCommand.parse(["--topic", "orders..x", "--server", "http://127.0.0.1:\(port)"])
            await #expect(throws: ExitCode.failure) { try await command.run() }
        }
        let unreachable = try PublishCommand.parse(["--type", "t", "--source", "/s", "--server", "http://127.0.0.1:1"])
        await #expect(throws: ExitCode.failure) { try await unreachable.run() }
    }
}
