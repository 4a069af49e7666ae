// libFuzzer target for the binary mode of the CloudEvents HTTP binding (`ce-*` headers). Built by `scripts/fuzz`
// together with the sources of `Herald/Event` and `Herald/Topic`; not part of the package. An input is a header
// block: lines `name:value` (names lower-cased, as HTTP compares them), then an empty line, then the body.
// `FuzzReplayTests` checks the committed corpus and crashes the same way.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBinaryMode(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let input = Data(bytes: start, count: count)
    var headers: [(name: String, value: String)] = []
    var body = Data()
    var lineStart = input.startIndex
    while lineStart < input.endIndex {
        let lineEnd = input[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? input.endIndex
        let line = input[lineStart..<lineEnd]
        if line.isEmpty {
            body = input[min(lineEnd + 1, input.endIndex)...]
            break
        }
        let colon = line.firstIndex(of: UInt8(ascii: ":")) ?? line.endIndex
        headers.append(
            (
                name: String(decoding: line[..<colon], as: UTF8.self).lowercased(),
                value: String(decoding: line[min(colon + 1, line.endIndex)...], as: UTF8.self)
            ))
        lineStart = lineEnd + 1
    }
    let contentType = headers.first { $0.name == "content-type" }?.value
    do {
        let event = try Event.decodeBinaryMode(headers: headers, contentType: contentType, body: Data(body))
        let encoded = event.jsonData()
        let again = try Event.decode(json: encoded)
        precondition(again.jsonData() == encoded, "re-encoding changed \(String(decoding: encoded, as: UTF8.self))")
    } catch {
        precondition(!error.description.isEmpty, "a refusal must say why")
    }
    return 0
}
