import Foundation
import Herald
import HeraldClient
import Testing

@testable import HeraldCLI

@Suite("herald client output")
struct CLIOutputTests {
    static let time = Date(timeIntervalSince1970: 1_700_000_000)

    @Test func eventLineShowsSequenceTimeTypeSubjectAndData() {
        let event = Event(
            id: "1", source: "/shop", type: "orders.placed", subject: "order-42", time: Self.time,
            data: Data("{\"total\": 42,\n  \"items\": []}".utf8))
        #expect(
            Output.eventLine(StoredEvent(sequence: 12, event: event))
                == #"12  2023-11-14T22:13:20Z  orders.placed  order-42  {"total": 42, "items": []}"#)
        let bare = Event(id: "2", source: "/shop", type: "ping")
        #expect(Output.eventLine(StoredEvent(sequence: 3, event: bare)) == "3  -  ping  -  -")
    }

    @Test func dataPreviewIsOneTruncatedLineOrAByteCount() {
        let long = Event(source: "/s", type: "t", data: Data("\"\(String(repeating: "ab", count: 50))\"".utf8))
        let preview = Output.dataPreview(long)
        #expect(preview.count == Output.previewLength)
        #expect(preview.hasPrefix("\"abab"))
        #expect(preview.hasSuffix("…"))

        let binary = Event(source: "/s", type: "t", dataContentType: "application/octet-stream", data: Data([0, 1, 2]))
        #expect(Output.dataPreview(binary) == "<3 bytes>")
        let text = Event(
            source: "/s", type: "t", dataContentType: "text/plain", data: Data("line one\r\nline\ttwo".utf8))
        #expect(Output.dataPreview(text) == "line one line two")
        let notUTF8 = Event(source: "/s", type: "t", dataContentType: "text/plain", data: Data([0xFF, 0xFE]))
        #expect(Output.dataPreview(notUTF8) == "<2 bytes>")
    }

    @Test func publishLineTellsSequenceOrDuplicate() {
        let stored = PublishResult(id: "a", source: "/s", sequence: 7, isDuplicate: false)
        #expect(Output.publishLine(stored, type: "t") == "published t id=a source=/s sequence 7")
        let duplicate = PublishResult(id: "a", source: "/s", sequence: 7, isDuplicate: true)
        #expect(
            Output.publishLine(duplicate, type: "t")
                == "published t id=a source=/s sequence 7 (duplicate: already stored, not stored again)")
        let scheduled = PublishResult(id: "a", source: "/s", sequence: nil, isDuplicate: false, isScheduled: true)
        #expect(Output.publishLine(scheduled, type: "t").hasSuffix("scheduled for later delivery"))
    }

    @Test func jsonLineIsTheServersShape() throws {
        let event = Event(id: "1", source: "/s", type: "t", data: Data(#"{"a":1}"#.utf8))
        let line = Output.jsonLine(StoredEvent(sequence: 4, event: event))
        #expect(
            line == #"{"sequence":4,"event":{"specversion":"1.0","id":"1","source":"/s","type":"t","data":{"a":1}}}"#)
    }

    @Test func problemsPrintTitleStatusDetailAndEachBadEvent() {
        let problem = HeraldProblem(
            type: "urn:herald:problem:invalid-event", title: "Invalid event", status: 400,
            detail: "the batch has 2 invalid events",
            errors: [
                .init(index: 0, attribute: "id", detail: "must not be empty"),
                .init(index: 2, attribute: nil, detail: "expected a JSON object"),
            ])
        #expect(
            Output.message(for: .problem(problem)) == """
                error: Invalid event (400): the batch has 2 invalid events
                  event 0 'id': must not be empty
                  event 2: expected a JSON object
                """)
        let refused = Output.message(for: .connectionFailed(url: "http://127.0.0.1:1/v1/events", reason: "refused"))
        #expect(refused.hasPrefix("error: cannot reach the Herald server at http://127.0.0.1:1/v1/events (refused)"))
        #expect(refused.contains("`herald serve` is running"))
    }

    @Test func tablesAlignTheirColumns() {
        let groups = [
            ConsumerGroupStatus(name: "billing", topic: "orders.>", lag: 12, inFlight: 3, deadLetters: 0),
            ConsumerGroupStatus(name: "x", topic: "a", lag: 0, inFlight: 0, deadLetters: 1),
        ]
        #expect(
            Output.groupsTable(groups) == [
                "NAME     TOPIC     LAG  IN_FLIGHT  DEAD_LETTERS",
                "billing  orders.>  12   3          0",
                "x        a         0    0          1",
            ])
        let letter = DeadLetteredEvent(
            stored: StoredEvent(sequence: 9, event: Event(source: "/s", type: "orders.placed")), attempts: 5,
            lastError: "timeout\nafter 30 s")
        #expect(
            Output.deadLettersTable([letter]) == [
                "SEQUENCE  ATTEMPTS  TYPE           SUBJECT  LAST_ERROR",
                "9         5         orders.placed  -        timeout after 30 s",
            ])
        #expect(
            DeadLettersCommand.Requeue.line(count: nil, sequences: [3, 5], group: "g")
                == "requeued dead letters 3, 5 of consumer group g")
        #expect(
            DeadLettersCommand.Requeue.line(count: 1, sequences: [], group: "g")
                == "requeued 1 dead letter of consumer group g")
    }
}
