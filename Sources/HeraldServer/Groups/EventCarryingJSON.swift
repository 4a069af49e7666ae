import Foundation
import Herald

/// Writes JSON objects that carry an event in its structured CloudEvents form, written by
/// `Event.jsonData()` as `/v1/events` does, beside fields encoded with `JSONEncoder`.
enum EventCarryingJSON {
    /// `fields` as a JSON object (sorted keys) with a last member `"event"` holding `event`.
    ///
    /// `fields` must encode as a JSON object.
    static func object(_ fields: some Encodable, event: Event) -> Data {
        var data = encode(fields)
        // Reopen the object: drop its closing brace, then add the event and close it again.
        precondition(data.last == UInt8(ascii: "}"), "the fields must encode as a JSON object")
        data.removeLast()
        if data.count > 1 { data.append(UInt8(ascii: ",")) }
        data.append(contentsOf: #""event":"#.utf8)
        data.append(event.jsonData())
        data.append(UInt8(ascii: "}"))
        return data
    }

    /// `{"<key>":[item,...]}` from items that are JSON values already, after a `leading` member (whose key
    /// must sort before `key`) when given.
    static func list(_ key: String, _ items: [Data], leading: (key: String, value: Data)? = nil) -> Data {
        var data = Data("{".utf8)
        if let leading {
            data.append(contentsOf: "\"\(leading.key)\":".utf8)
            data.append(leading.value)
            data.append(UInt8(ascii: ","))
        }
        data.append(contentsOf: "\"\(key)\":[".utf8)
        for (index, item) in items.enumerated() {
            if index > 0 { data.append(UInt8(ascii: ",")) }
            data.append(item)
        }
        data.append(contentsOf: "]}".utf8)
        return data
    }

    /// `value` as JSON with sorted keys and unescaped slashes, as the other responses are.
    static func encode(_ value: some Encodable) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // The response types hold strings, integers, doubles and booleans only: encoding cannot fail.
        return (try? encoder.encode(value)) ?? Data("{}".utf8)
    }
}
