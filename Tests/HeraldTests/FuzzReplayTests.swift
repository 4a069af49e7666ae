import Foundation
import Herald
import Testing

/// Replays every input `scripts/fuzz` kept (the minimized corpus in `Tests/Fuzz/Corpus/TARGET` and any input
/// that once crashed, in `Tests/Fuzz/Crashes/TARGET`) through the functions its target fuzzes, with the target's
/// checks: each input parses, or is refused with an error that says why, and never crashes.
@Suite("fuzz corpus and crash replay")
struct FuzzReplayTests {
    static let fuzzDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz")

    /// The saved inputs of `target`, corpus and crashes; the corpus must not be empty.
    static func inputs(of target: String) throws -> [(name: String, bytes: Data)] {
        let manager = FileManager.default
        var inputs: [(name: String, bytes: Data)] = []
        for kind in ["Corpus", "Crashes"] {
            let directory = fuzzDirectory.appendingPathComponent(kind).appendingPathComponent(target)
            let names = (try? manager.contentsOfDirectory(atPath: directory.path)) ?? []
            for name in names.sorted() {
                let bytes = try Data(contentsOf: directory.appendingPathComponent(name))
                inputs.append(("\(kind)/\(target)/\(name)", bytes))
            }
        }
        #expect(inputs.count >= 3, "the committed corpus of \(target) is missing; run scripts/fuzz \(target)")
        return inputs
    }

    /// An accepted event encodes to JSON that decodes again, and encoding that gives the same bytes.
    static func expectStableEncoding(_ event: Event, input: String) {
        let encoded = event.jsonData()
        do {
            let again = try Event.decode(json: encoded)
            #expect(again.jsonData() == encoded, "\(input): re-encoding changed the event")
        } catch {
            Issue.record("\(input): an accepted event does not decode from its own JSON: \(error)")
        }
    }

    @Test func eventJSONInputsParseOrAreRefusedWithAReason() throws {
        for (name, bytes) in try Self.inputs(of: "EventJSON") {
            do {
                Self.expectStableEncoding(try Event.decode(json: bytes), input: name)
            } catch {
                #expect(!error.description.isEmpty, "\(name)")
            }
            do {
                for event in try Event.decodeBatch(json: bytes) { Self.expectStableEncoding(event, input: name) }
            } catch {
                #expect(!error.description.isEmpty, "\(name)")
            }
        }
    }

    /// The header block of a binary-mode fuzz input: `name:value` lines, an empty line, then the body.
    static func binaryModeRequest(_ input: Data) -> (headers: [(name: String, value: String)], body: Data) {
        var headers: [(name: String, value: String)] = []
        var lineStart = input.startIndex
        while lineStart < input.endIndex {
            let lineEnd = input[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? input.endIndex
            let line = input[lineStart..<lineEnd]
            if line.isEmpty { return (headers, Data(input[min(lineEnd + 1, input.endIndex)...])) }
            let colon = line.firstIndex(of: UInt8(ascii: ":")) ?? line.endIndex
            headers.append(
                (
                    name: String(decoding: line[..<colon], as: UTF8.self).lowercased(),
                    value: String(decoding: line[min(colon + 1, line.endIndex)...], as: UTF8.self)
                ))
            lineStart = lineEnd + 1
        }
        return (headers, Data())
    }

    @Test func binaryModeInputsParseOrAreRefusedWithAReason() throws {
        for (name, bytes) in try Self.inputs(of: "BinaryMode") {
            let (headers, body) = Self.binaryModeRequest(bytes)
            let contentType = headers.first { $0.name == "content-type" }?.value
            do {
                let event = try Event.decodeBinaryMode(headers: headers, contentType: contentType, body: body)
                Self.expectStableEncoding(event, input: name)
            } catch {
                #expect(!error.description.isEmpty, "\(name)")
            }
        }
    }

    @Test func topicPatternInputsParseOrAreRefusedWithAReason() throws {
        for (name, bytes) in try Self.inputs(of: "TopicPattern") {
            let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
            let text = String(decoding: bytes[..<newline], as: UTF8.self)
            let topic = String(decoding: bytes[min(newline + 1, bytes.endIndex)...], as: UTF8.self)
            do {
                let pattern = try TopicPattern(text)
                #expect(try TopicPattern(pattern.description) == pattern, "\(name)")
                #expect(pattern.matches(text) || text.contains("*") || text.contains(">"), "\(name)")
                _ = pattern.matches(topic)
            } catch {
                #expect(!error.description.isEmpty, "\(name)")
            }
        }
    }

    @Test func binaryModeSplitsHeadersFromTheBody() {
        let (headers, body) = Self.binaryModeRequest(Data("CE-ID:a:b\nce-x\n\nbody\n".utf8))
        #expect(headers.map(\.name) == ["ce-id", "ce-x"])
        #expect(headers.map(\.value) == ["a:b", ""])
        #expect(body == Data("body\n".utf8))
    }
}
