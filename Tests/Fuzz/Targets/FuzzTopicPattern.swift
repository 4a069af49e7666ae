// libFuzzer target for the topic pattern parser and matcher. Built by `scripts/fuzz` together with the sources of
// `Herald/Event` and `Herald/Topic`; not part of the package. An input is a pattern, then optionally a newline and
// a topic to match against it. `FuzzReplayTests` checks the committed corpus and crashes the same way.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTopicPattern(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let input = UnsafeBufferPointer(start: start, count: count)
    let newline = input.firstIndex(of: UInt8(ascii: "\n")) ?? input.endIndex
    let text = String(decoding: input[..<newline], as: UTF8.self)
    let topic = String(decoding: input[min(newline + 1, input.endIndex)...], as: UTF8.self)
    do {
        let pattern = try TopicPattern(text)
        let reparsed = try TopicPattern(pattern.description)
        precondition(reparsed == pattern, "a pattern's text parses to itself")
        precondition(pattern.matches(text) || text.contains("*") || text.contains(">"), "a literal matches itself")
        _ = pattern.matches(topic)
    } catch {
        precondition(!error.description.isEmpty, "a refusal must say why")
    }
    return 0
}
