import Foundation
import Herald

/// A JSON value read from a response, keeping the exact bytes each value was written as.
///
/// The server writes each stored event with `Event.jsonData()`, and an event's JSON `data` is kept as
/// its exact text. Re-encoding a parsed document would reorder members and rewrite numbers, so the
/// client hands `Event.decode(json:)` the event's original bytes, which this type keeps.
struct RawJSON: Sendable {
    /// What the value is.
    enum Kind: Sendable {
        case object([String: RawJSON])
        case array([RawJSON])
        case string(String)
        case number(String)
        case bool(Bool)
        case null
    }

    /// The value.
    var kind: Kind
    /// The document the value was read from, shared by all its values, and where in it the value is.
    private var document: [UInt8]
    private var range: Range<Int>

    /// A value read from `document` at `range`.
    fileprivate init(kind: Kind, document: [UInt8], range: Range<Int>) {
        self.kind = kind
        self.document = document
        self.range = range
    }

    /// A value written as `text`.
    init(kind: Kind, text: Data) {
        self.init(kind: kind, document: [UInt8](text), range: 0..<text.count)
    }

    /// The bytes the value was written as; made when asked for, since most values are read, not copied.
    var text: Data { Data(document[range]) }

    /// Parses a whole document.
    ///
    /// - Throws: ``RawJSONError`` naming the byte offset of malformed JSON.
    static func parse(_ data: Data) throws(RawJSONError) -> RawJSON {
        var reader = RawJSONReader(bytes: [UInt8](data))
        let value = try reader.value(depth: 0)
        reader.skipWhitespace()
        guard reader.position == reader.bytes.count else {
            throw reader.error("unexpected text after the JSON document")
        }
        return value
    }

    /// The member `key` of an object; `nil` for a missing member, a `null` one, or a value that is not an object.
    subscript(key: String) -> RawJSON? {
        guard case .object(let members) = kind, let member = members[key] else { return nil }
        if case .null = member.kind { return nil }
        return member
    }

    /// The elements of an array.
    var array: [RawJSON]? {
        if case .array(let elements) = kind { elements } else { nil }
    }

    /// The value of a string.
    var string: String? {
        if case .string(let text) = kind { text } else { nil }
    }

    /// The value of an integral number that fits `Int64`.
    var int64: Int64? {
        if case .number(let text) = kind { Int64(text) } else { nil }
    }

    /// The value of an integral number that fits `Int`.
    var int: Int? {
        if case .number(let text) = kind { Int(text) } else { nil }
    }

    /// The value of any number.
    var double: Double? {
        if case .number(let text) = kind { Double(text) } else { nil }
    }

    /// The value of `true` or `false`.
    var bool: Bool? {
        if case .bool(let flag) = kind { flag } else { nil }
    }
}

/// Malformed JSON in a response.
struct RawJSONError: Error, Sendable, CustomStringConvertible {
    /// What was wrong, and at which byte.
    var description: String
}

/// Reads the structure of a JSON document; strings are unescaped by Foundation's decoder.
private struct RawJSONReader {
    static let maximumDepth = 256

    let bytes: [UInt8]
    var position = 0

    func error(_ reason: String) -> RawJSONError {
        RawJSONError(description: "malformed JSON at byte \(position): \(reason)")
    }

    mutating func skipWhitespace() {
        while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) {
            position += 1
        }
    }

    mutating func value(depth: Int) throws(RawJSONError) -> RawJSON {
        guard depth < Self.maximumDepth else { throw error("nested deeper than \(Self.maximumDepth) levels") }
        skipWhitespace()
        guard position < bytes.count else { throw error("the document ends where a value was expected") }
        let start = position
        let kind: RawJSON.Kind
        switch bytes[position] {
        case UInt8(ascii: "{"): kind = .object(try object(depth: depth))
        case UInt8(ascii: "["): kind = .array(try array(depth: depth))
        case UInt8(ascii: "\""): kind = .string(try string())
        case UInt8(ascii: "t"): try literal("true"); kind = .bool(true)
        case UInt8(ascii: "f"): try literal("false"); kind = .bool(false)
        case UInt8(ascii: "n"): try literal("null"); kind = .null
        default: kind = .number(try number())
        }
        return RawJSON(kind: kind, document: bytes, range: start..<position)
    }

    private mutating func object(depth: Int) throws(RawJSONError) -> [String: RawJSON] {
        position += 1
        var members: [String: RawJSON] = [:]
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
            return members
        }
        while true {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                throw error("expected a member name in quotes")
            }
            let key = try string()
            skipWhitespace()
            try expect(":")
            members[key] = try value(depth: depth + 1)
            skipWhitespace()
            guard position < bytes.count else { throw error("the object is not closed") }
            if bytes[position] == UInt8(ascii: "}") {
                position += 1
                return members
            }
            try expect(",")
        }
    }

    private mutating func array(depth: Int) throws(RawJSONError) -> [RawJSON] {
        position += 1
        var elements: [RawJSON] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
            return elements
        }
        while true {
            elements.append(try value(depth: depth + 1))
            skipWhitespace()
            guard position < bytes.count else { throw error("the array is not closed") }
            if bytes[position] == UInt8(ascii: "]") {
                position += 1
                return elements
            }
            try expect(",")
        }
    }

    private mutating func string() throws(RawJSONError) -> String {
        do {
            return try JSONParser.readString(in: bytes, at: &position)
        } catch {
            throw RawJSONError(description: "malformed JSON string, \(error)")
        }
    }

    private mutating func number() throws(RawJSONError) -> String {
        let start = position
        let allowed = Set("+-0123456789.eE".utf8)
        while position < bytes.count, allowed.contains(bytes[position]) {
            position += 1
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        guard !text.isEmpty, Double(text) != nil else { throw error("expected a value") }
        return text
    }

    private mutating func literal(_ word: String) throws(RawJSONError) {
        let expected = Array(word.utf8)
        guard bytes.count - position >= expected.count,
            bytes[position..<position + expected.count].elementsEqual(expected)
        else { throw error("expected '\(word)'") }
        position += expected.count
    }

    private mutating func expect(_ character: Character) throws(RawJSONError) {
        guard position < bytes.count, bytes[position] == character.asciiValue else {
            throw error("expected '\(character)'")
        }
        position += 1
    }
}
