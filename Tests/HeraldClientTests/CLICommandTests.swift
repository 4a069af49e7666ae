import ArgumentParser
import Foundation
import Herald
import HeraldClient
import Testing

@testable import HeraldCLI

@Suite("herald client commands")
struct CLICommandTests {
    /// The message ArgumentParser prints for an error `body` throws while parsing.
    func parseError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        do {
            try body()
            Issue.record("expected a parse error", sourceLocation: sourceLocation)
            return ""
        } catch {
            return HeraldCommand.message(for: error)
        }
    }

    // MARK: publish

    @Test func publishFromStandardInputTakesNoEventOptions() {
        let message = parseError { _ = try PublishCommand.parse(["--stdin", "--id", "x", "--type", "t"]) }
        #expect(message.contains("--stdin reads whole events"), "\(message)")
        #expect(message.contains("--type, --id"), "\(message)")
        #expect(throws: Never.self) { try PublishCommand.parse(["--stdin", "--server", "http://127.0.0.1:9"]) }
    }

    @Test func publishWithoutStandardInputNeedsTypeAndSource() {
        let message = parseError { _ = try PublishCommand.parse(["--source", "/cli"]) }
        #expect(message.contains("--type and --source are required, unless --stdin reads whole events"), "\(message)")
    }

    @Test func publishParsesItsOptionsIntoAnEvent() throws {
        let command = try PublishCommand.parse([
            "--type", "orders.placed", "--source", "/shop", "--subject", "o-1", "--id", "id-1",
            "--data", #"{"total": 42}"#, "--partition-key", "customer-7", "--server", "http://127.0.0.1:9999",
            "--api-key", "secret",
        ])
        let event = try command.makeEvent()
        #expect(event.id == "id-1")
        #expect(event.type == "orders.placed")
        #expect(event.source == "/shop")
        #expect(event.subject == "o-1")
        #expect(event.partitionKey == "customer-7")
        #expect(event.dataContentType == "application/json")
        #expect(event.data == Data(#"{"total": 42}"#.utf8))
        #expect(event.time != nil)
        #expect(try command.serverOptions.serverURL() == URL(string: "http://127.0.0.1:9999"))
        #expect(command.serverOptions.resolvedAPIKey() == "secret")
    }

    @Test func publishDefaultsToARandomIDAndNoData() throws {
        let command = try PublishCommand.parse(["--type", "t", "--source", "/s"])
        let first = try command.makeEvent()
        let second = try command.makeEvent()
        #expect(UUID(uuidString: first.id) != nil)
        #expect(first.id != second.id)
        #expect(first.data == nil)
        #expect(first.dataContentType == nil)
    }

    @Test func publishRequiresTypeAndSource() {
        #expect(parseError { _ = try PublishCommand.parse(["--source", "/s"]) }.contains("--type"))
        #expect(parseError { _ = try PublishCommand.parse(["--type", "t"]) }.contains("--source"))
    }

    @Test func publishRefusesDataThatIsNotJSON() {
        for bad in ["{bad", "hello", #"{"a":1"#, ""] {
            let message = parseError { _ = try PublishCommand.parse(["--type", "t", "--source", "/s", "--data", bad]) }
            #expect(message.contains("--data is not valid JSON"), "for \(bad): \(message)")
            #expect(message.contains(#"'"hello"'"#))
        }
        #expect(throws: Never.self) {
            _ = try PublishCommand.parse(["--type", "t", "--source", "/s", "--data", #""hello""#])
        }
    }

    @Test func publishReadsDataFilesAndRefusesBadOnes() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-cli-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = directory.appendingPathComponent("good.json")
        let bad = directory.appendingPathComponent("bad.json")
        try Data("[1, 2, 3]\n".utf8).write(to: good)
        try Data("not json".utf8).write(to: bad)

        let event = try PublishCommand.parse(["--type", "t", "--source", "/s", "--data-file", good.path]).makeEvent()
        #expect(event.data == Data("[1, 2, 3]\n".utf8))

        let invalid = parseError {
            _ = try PublishCommand.parse(["--type", "t", "--source", "/s", "--data-file", bad.path])
        }
        #expect(invalid.contains("is not valid JSON"))
        let missing = directory.appendingPathComponent("missing.json").path
        let unreadable = parseError {
            _ = try PublishCommand.parse(["--type", "t", "--source", "/s", "--data-file", missing])
        }
        #expect(unreadable.contains("cannot read --data-file"))
        let both = parseError {
            _ = try PublishCommand.parse(["--type", "t", "--source", "/s", "--data", "1", "--data-file", good.path])
        }
        #expect(both.contains("not both"))
    }

    @Test func publishRefusesAnInvalidEventBeforeSending() {
        let message = parseError { _ = try PublishCommand.parse(["--type", "", "--source", "/s"]) }
        #expect(message.contains("'type'"))
    }

    @Test func serverMustBeAnHTTPURL() {
        for bad in ["ftp://host", "127.0.0.1:8080", "http://"] {
            let message = parseError { _ = try QueryCommand.parse(["--server", bad]) }
            #expect(message.contains("is not an http:// or https:// URL"), "for \(bad): \(message)")
        }
    }

    @Test func serverAndAPIKeyFallBackToTheEnvironmentThenTheDefault() throws {
        let options = try ServerOptions.parse([])
        #expect(try options.serverURL(environment: [:]) == URL(string: "http://127.0.0.1:8080"))
        #expect(try options.serverURL(environment: ["HERALD_SERVER": "http://h:1"]) == URL(string: "http://h:1"))
        #expect(options.resolvedAPIKey(environment: ["HERALD_API_KEY": "k"]) == "k")
        #expect(options.resolvedAPIKey(environment: ["HERALD_API_KEY": ""]) == nil)
        let flags = try ServerOptions.parse(["--server", "http://flag:2", "--api-key", "f"])
        #expect(try flags.serverURL(environment: ["HERALD_SERVER": "http://h:1"]) == URL(string: "http://flag:2"))
        #expect(flags.resolvedAPIKey(environment: ["HERALD_API_KEY": "k"]) == "f")
    }

    // MARK: other commands

    @Test func queryTailAndGroupsValidateTheirNumbers() throws {
        #expect(parseError { _ = try QueryCommand.parse(["--limit", "0"]) }.contains("--limit must be from 1 to 1000"))
        #expect(parseError { _ = try QueryCommand.parse(["--after=-1"]) }.contains("--after must be 0 or more"))
        #expect(parseError { _ = try QueryCommand.parse(["--from", "noon"]) }.contains("--from must be an RFC 3339"))
        #expect(
            parseError { _ = try QueryCommand.parse(["--until", "2026-01-01 00:00"]) }.contains("--until must be"))
        let backwards = parseError {
            _ = try QueryCommand.parse(["--from", "2026-01-02T00:00:00Z", "--until", "2026-01-01T00:00:00Z"])
        }
        #expect(backwards.contains("--from (2026-01-02T00:00:00Z) is later than --until"))
        #expect(parseError { _ = try TailCommand.parse(["--after", "x"]) }.contains("--after"))
        let start = parseError { _ = try GroupsCommand.Create.parse(["g", "--topic", "a.>", "--start", "middle"]) }
        #expect(start.contains("--start must be 'earliest', 'latest', 'after:SEQUENCE' or 'time:RFC3339'"))
        let to = parseError { _ = try GroupsCommand.Seek.parse(["g", "--to", "after:x"]) }
        #expect(to.contains("--to must be 'earliest', 'latest', 'after:SEQUENCE' or 'time:RFC3339', got 'after:x'"))
        #expect(try GroupsCommand.Seek.parse(["g", "--to", "after:42"]).position() == .after(sequence: 42))
        #expect(
            try GroupsCommand.Create.parse(["g", "--topic", "a.>", "--start", "time:2026-01-01T00:00:00Z"])
                .configuration().start == .time(Date(timeIntervalSince1970: 1_767_225_600)))
        let attempts = parseError {
            _ = try GroupsCommand.Create.parse(["g", "--topic", "a.>", "--max-attempts", "0"])
        }
        #expect(attempts.contains("max_attempts"))
        let topic = parseError { _ = try GroupsCommand.Create.parse(["g", "--topic", "a..b"]) }
        #expect(topic.contains("--topic 'a..b' is not a valid pattern"))
        let name = parseError { _ = try GroupsCommand.Create.parse(["bad name", "--topic", "a"]) }
        #expect(name.contains("consumer group name"))
    }

    @Test func groupsCreateBuildsTheConfiguration() throws {
        let command = try GroupsCommand.Create.parse([
            "billing", "--topic", "orders.>", "--start", "latest", "--max-attempts", "3", "--ack-timeout-ms", "1500",
            "--ordered",
        ])
        let configuration = try command.configuration()
        #expect(configuration.name == "billing")
        #expect(configuration.topic.text == "orders.>")
        #expect(configuration.start == .latest)
        #expect(configuration.maxAttempts == 3)
        #expect(configuration.ackTimeout == .milliseconds(1500))
        #expect(configuration.ordered)
    }

    @Test func commandsAreRegisteredUnderHerald() throws {
        #expect(try HeraldCommand.parseAsRoot(["publish", "--type", "t", "--source", "/s"]) is PublishCommand)
        #expect(try HeraldCommand.parseAsRoot(["tail", "--topic", "orders.>"]) is TailCommand)
        #expect(try HeraldCommand.parseAsRoot(["query", "--json"]) is QueryCommand)
        #expect(try HeraldCommand.parseAsRoot(["groups", "list"]) is GroupsCommand.List)
        #expect(try HeraldCommand.parseAsRoot(["groups", "delete", "g"]) is GroupsCommand.Delete)
        let requeue = try HeraldCommand.parseAsRoot([
            "dead-letters", "requeue", "g", "--sequence", "3", "--sequence", "5",
        ])
        #expect((requeue as? DeadLettersCommand.Requeue)?.sequences == [3, 5])
        #expect(try HeraldCommand.parseAsRoot(["dead-letters", "list", "g"]) is DeadLettersCommand.List)
    }
}
