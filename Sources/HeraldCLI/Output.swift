import Foundation
import Herald
import HeraldClient

/// How the client commands print: the text of each line, kept apart from printing so tests can check it.
enum Output {
    /// The most characters of an event's data a line shows.
    static let previewLength = 60

    /// Writes a line to stdout unbuffered, so that `herald tail | grep` sees each event at once.
    ///
    /// When the reader has gone (`herald query | head -1`), the command has nothing more to do: it exits
    /// quietly with status 0, as a filter in a pipeline should.
    static func line(_ text: String) {
        do {
            try FileHandle.standardOutput.write(contentsOf: Data((text + "\n").utf8))
        } catch {
            // `_exit`, not `exit`: nothing is left to flush, and the at-exit machinery can wait on threads the
            // HTTP client still runs.
            _exit(0)
        }
    }

    /// Writes a message to stderr; a stderr nobody reads is ignored.
    static func error(_ text: String) {
        try? FileHandle.standardError.write(contentsOf: Data((text + "\n").utf8))
    }

    /// What a failed call prints: `error: ` and the server's problem (title, status, detail and each
    /// offending event), or why the server could not be reached.
    static func message(for error: HeraldClientError) -> String {
        "error: \(error.description)"
    }

    /// One event on one line: sequence, time, type, subject and a preview of its data, separated by two
    /// spaces; `-` stands for a missing time or subject.
    static func eventLine(_ stored: StoredEvent) -> String {
        let event = stored.event
        let time = event.time.map(RFC3339.format) ?? "-"
        let subject = event.subject.map(singleLine) ?? "-"
        return [String(stored.sequence), time, event.type, subject, dataPreview(event)]
            .joined(separator: "  ")
    }

    /// The event's data as one line of at most ``previewLength`` characters (with `…` when cut): text for
    /// JSON and `text/*` data, `<N bytes>` for other data, `-` for none.
    static func dataPreview(_ event: Event, length: Int = previewLength) -> String {
        guard let data = event.data else { return "-" }
        let contentType = event.dataContentType?.lowercased()
        let isText = contentType.map { $0.hasPrefix("text/") || $0.contains("json") || $0.contains("xml") } ?? true
        guard isText, let text = String(data: data, encoding: .utf8) else {
            return "<\(data.count) bytes>"
        }
        let flat = singleLine(text)
        return flat.count > length ? flat.prefix(length - 1) + "…" : flat
    }

    /// `text` with each run of whitespace and control characters (line breaks included) made one space.
    static func singleLine(_ text: String) -> String {
        var result = ""
        var pendingSpace = false
        for character in text {
            if character.isWhitespace
                || character.unicodeScalars.allSatisfy({ $0.properties.generalCategory == .control })
            {
                pendingSpace = !result.isEmpty
            } else {
                if pendingSpace { result.append(" ") }
                pendingSpace = false
                result.append(character)
            }
        }
        return result
    }

    /// The line `herald publish` prints for a result.
    static func publishLine(_ result: PublishResult, type: String) -> String {
        let position = result.sequence.map { "sequence \($0)" } ?? "scheduled for later delivery"
        let note = result.isDuplicate ? " (duplicate: already stored, not stored again)" : ""
        return "published \(type) id=\(result.id) source=\(result.source) \(position)\(note)"
    }

    /// A stored event as one JSON line: `{"sequence":N,"event":{...}}`, as the server sends it.
    static func jsonLine(_ stored: StoredEvent) -> String {
        #"{"sequence":\#(stored.sequence),"event":\#(String(decoding: stored.event.jsonData(), as: UTF8.self))}"#
    }

    /// A table whose columns are as wide as their widest cell, separated by two spaces.
    static func table(_ rows: [[String]]) -> [String] {
        let widths = rows.reduce(into: [Int]()) { widths, row in
            for (column, cell) in row.enumerated() {
                if column < widths.count {
                    widths[column] = max(widths[column], cell.count)
                } else {
                    widths.append(cell.count)
                }
            }
        }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
    }

    /// The table `herald groups list` prints: a header, then one row per group.
    static func groupsTable(_ groups: [ConsumerGroupStatus]) -> [String] {
        let header = ["NAME", "TOPIC", "LAG", "IN_FLIGHT", "DEAD_LETTERS"]
        return table(
            [header] + groups.map { [$0.name, $0.topic, String($0.lag), String($0.inFlight), String($0.deadLetters)] })
    }

    /// The table `herald dead-letters list` prints: a header, then one row per dead letter.
    static func deadLettersTable(_ letters: [DeadLetteredEvent]) -> [String] {
        let header = ["SEQUENCE", "ATTEMPTS", "TYPE", "SUBJECT", "LAST_ERROR"]
        return table(
            [header]
                + letters.map {
                    [
                        String($0.stored.sequence), String($0.attempts), $0.stored.event.type,
                        $0.stored.event.subject.map(singleLine) ?? "-", $0.lastError.map(singleLine) ?? "-",
                    ]
                })
    }
}
