import Foundation

/// Where and why a JSON document failed to parse.
package struct JSONSyntaxError: Error, CustomStringConvertible {
    /// 1-based line of the offending byte.
    var line: Int
    /// 1-based byte column of the offending byte.
    var column: Int
    var reason: String

    package var description: String { "line \(line), column \(column): \(reason)" }
}

/// A strict RFC 8259 JSON parser.
///
/// The event format parses with this rather than with `JSONDecoder` because it needs what Foundation
/// does not give: the exact text of the `data` member, rejection of duplicate members and trailing
/// commas (which `JSONDecoder` accepts silently), error positions, and no exception-driven type probing.
package struct JSONParser {
    /// Deeper nesting is refused rather than risking the stack on hostile input.
    static let maximumDepth = 512

    /// A member of an event object, with where its value's text lies so `data` can be kept verbatim.
    struct Member {
        var value: JSONValue
        var text: Range<Int>
    }

    /// What an event document holds where an event is expected.
    enum Envelope {
        case object([String: Member])
        case other(JSONValue)
    }

    /// A document of one event or a batch.
    enum Document {
        case single(Envelope)
        case batch([Envelope])
    }

    /// The document's bytes; ``Member/text`` ranges index into them.
    let bytes: [UInt8]
    private var position = 0

    init(_ data: Data) {
        bytes = Array(data)
    }

    private init(bytes: [UInt8], position: Int) {
        self.bytes = bytes
        self.position = position
    }

    /// Reads the JSON string whose opening quote is at `position` in `bytes`, and moves `position` past its
    /// closing quote: the package's one reader of JSON strings, which the client's reader of answers uses too.
    package static func readString(in bytes: [UInt8], at position: inout Int) throws(JSONSyntaxError) -> String {
        var parser = JSONParser(bytes: bytes, position: position)
        let text = try parser.parseString()
        position = parser.position
        return text
    }

    /// Parses a document holding one JSON value and returns where the value's text lies, without the
    /// whitespace around it.
    mutating func parseValueText() throws(JSONSyntaxError) -> Range<Int> {
        skipWhitespace()
        let start = position
        _ = try parseValue(depth: 1)
        let end = position
        try expectEnd()
        return start..<end
    }

    /// Parses a document holding one JSON value.
    mutating func parseDocument() throws(JSONSyntaxError) -> JSONValue {
        let value = try parseValue(depth: 1)
        try expectEnd()
        return value
    }

    /// Parses a document holding one event (an object) or a batch (an array of them).
    mutating func parseEventDocument() throws(JSONSyntaxError) -> Document {
        skipWhitespace()
        let document: Document
        if peek() == UInt8(ascii: "[") {
            var envelopes: [Envelope] = []
            try parseArray(depth: 1) { parser throws(JSONSyntaxError) in
                envelopes.append(try parser.parseEnvelope(depth: 2))
            }
            document = .batch(envelopes)
        } else {
            document = .single(try parseEnvelope(depth: 1))
        }
        try expectEnd()
        return document
    }

    private mutating func parseEnvelope(depth: Int) throws(JSONSyntaxError) -> Envelope {
        skipWhitespace()
        guard peek() == UInt8(ascii: "{") else { return .other(try parseValue(depth: depth)) }
        var members: [String: Member] = [:]
        try parseObject(depth: depth) { parser, name throws(JSONSyntaxError) in
            let start = parser.position
            let value = try parser.parseValue(depth: depth + 1)
            return members.updateValue(Member(value: value, text: start..<parser.position), forKey: name) == nil
        }
        return .object(members)
    }

    private mutating func parseValue(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        skipWhitespace()
        guard let byte = peek() else { throw error("unexpected end of input; expected a value") }
        switch byte {
        case UInt8(ascii: "{"):
            var members: [String: JSONValue] = [:]
            try parseObject(depth: depth) { parser, name throws(JSONSyntaxError) in
                members.updateValue(try parser.parseValue(depth: depth + 1), forKey: name) == nil
            }
            return .object(members)
        case UInt8(ascii: "["):
            var elements: [JSONValue] = []
            try parseArray(depth: depth) { parser throws(JSONSyntaxError) in
                elements.append(try parser.parseValue(depth: depth + 1))
            }
            return .array(elements)
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try parseNumber()
        default:
            throw error(
                "unexpected \(describe(byte)); expected a value (object, array, string, number, true, "
                    + "false or null)")
        }
    }

    /// Parses an object, handing each member's name to `member`, which parses the value and returns
    /// `false` if the name was already seen.
    private mutating func parseObject(
        depth: Int,
        member: (inout Self, String) throws(JSONSyntaxError) -> Bool
    ) throws(JSONSyntaxError) {
        try checkDepth(depth)
        position += 1
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            position += 1
            return
        }
        while true {
            skipWhitespace()
            let nameStart = position
            guard peek() == UInt8(ascii: "\"") else {
                throw error("expected a member name in double quotes (a trailing comma is not allowed)")
            }
            let name = try parseString()
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else { throw error("expected ':' after the member name") }
            position += 1
            skipWhitespace()
            guard try member(&self, name) else {
                throw error(
                    "duplicate member \(EventValidationError.quoted(name)); each name may appear once",
                    at: nameStart
                )
            }
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: "}"):
                position += 1
                return
            case UInt8(ascii: ","):
                position += 1
            case nil:
                throw error("unexpected end of input inside an object; close it with '}'")
            default:
                throw error("expected ',' or '}' after an object member")
            }
        }
    }

    private mutating func parseArray(
        depth: Int,
        element: (inout Self) throws(JSONSyntaxError) -> Void
    ) throws(JSONSyntaxError) {
        try checkDepth(depth)
        position += 1
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            position += 1
            return
        }
        while true {
            try element(&self)
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: "]"):
                position += 1
                return
            case UInt8(ascii: ","):
                position += 1
            case nil:
                throw error("unexpected end of input inside an array; close it with ']'")
            default:
                throw error("expected ',' or ']' after an array element")
            }
        }
    }

    private mutating func parseString() throws(JSONSyntaxError) -> String {
        position += 1
        let start = position
        // Most strings have no escapes: validate them in place instead of copying byte by byte.
        while position < bytes.count, bytes[position] != UInt8(ascii: "\\") {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                position += 1
                return try validatedString(bytes[start..<position - 1], start: start)
            }
            if byte < 0x20 { throw controlCharacterError(byte) }
            position += 1
        }
        var buffer = Array(bytes[start..<position])
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                return try validatedString(buffer[...], start: start)
            case UInt8(ascii: "\\"):
                try parseEscape(into: &buffer)
            case 0..<0x20:
                position -= 1
                throw controlCharacterError(byte)
            default:
                buffer.append(byte)
            }
        }
        throw error("unterminated string; close it with '\"'", at: start - 1)
    }

    private mutating func parseEscape(into buffer: inout [UInt8]) throws(JSONSyntaxError) {
        guard let escape = peek() else { throw error("unterminated string; close it with '\"'") }
        position += 1
        switch escape {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): buffer.append(escape)
        case UInt8(ascii: "b"): buffer.append(0x08)
        case UInt8(ascii: "f"): buffer.append(0x0C)
        case UInt8(ascii: "n"): buffer.append(0x0A)
        case UInt8(ascii: "r"): buffer.append(0x0D)
        case UInt8(ascii: "t"): buffer.append(0x09)
        case UInt8(ascii: "u"):
            let escapeStart = position - 2
            var value = try parseHex4()
            if (0xD800..<0xDC00).contains(value) {
                guard peek() == UInt8(ascii: "\\"), peek(offset: 1) == UInt8(ascii: "u") else {
                    throw error("unpaired UTF-16 surrogate in a \\u escape", at: escapeStart)
                }
                position += 2
                let low = try parseHex4()
                guard (0xDC00..<0xE000).contains(low) else {
                    throw error("unpaired UTF-16 surrogate in a \\u escape", at: escapeStart)
                }
                value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let scalar = Unicode.Scalar(value) else {
                throw error("unpaired UTF-16 surrogate in a \\u escape", at: escapeStart)
            }
            UTF8.encode(scalar) { buffer.append($0) }
        default:
            position -= 1
            throw error("invalid escape \\\(Character(Unicode.Scalar(escape))) in a string")
        }
    }

    private mutating func parseHex4() throws(JSONSyntaxError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = peek() else { throw error("expected 4 hex digits after \\u") }
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("expected 4 hex digits after \\u")
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    private mutating func parseNumber() throws(JSONSyntaxError) -> JSONValue {
        let start = position
        if peek() == UInt8(ascii: "-") { position += 1 }
        guard peek() == UInt8(ascii: "0") || skipDigits() else { throw error("expected a digit in a number") }
        if peek() == UInt8(ascii: "0") { position += 1 }
        var isInteger = true
        if peek() == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard skipDigits() else { throw error("expected a digit after the decimal point") }
        }
        if let byte = peek(), byte | 0x20 == UInt8(ascii: "e") {
            isInteger = false
            position += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { position += 1 }
            guard skipDigits() else { throw error("expected a digit in the exponent") }
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        if isInteger, let integer = Int64(text) { return .integer(integer) }
        guard let number = Double(text), number.isFinite else {
            throw error("number \(text) is out of range", at: start)
        }
        return JSONValue(normalizing: number)
    }

    /// Skips a run of digits; returns whether there was at least one.
    private mutating func skipDigits() -> Bool {
        let start = position
        while let byte = peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { position += 1 }
        return position > start
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONSyntaxError) {
        let count = literal.utf8CodeUnitCount
        let expected = UnsafeBufferPointer(start: literal.utf8Start, count: count)
        guard bytes.count - position >= count, bytes[position..<position + count].elementsEqual(expected) else {
            throw error("invalid literal; expected \(literal)")
        }
        position += count
    }

    private mutating func expectEnd() throws(JSONSyntaxError) {
        skipWhitespace()
        if position < bytes.count {
            throw error("unexpected \(describe(bytes[position])) after the end of the JSON value")
        }
    }

    private mutating func skipWhitespace() {
        while let byte = peek(),
            byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
                || byte == UInt8(ascii: "\t")
        {
            position += 1
        }
    }

    private func peek(offset: Int = 0) -> UInt8? {
        position + offset < bytes.count ? bytes[position + offset] : nil
    }

    private func checkDepth(_ depth: Int) throws(JSONSyntaxError) {
        guard depth <= Self.maximumDepth else {
            throw error("nesting is deeper than \(Self.maximumDepth) levels")
        }
    }

    private func validatedString(_ utf8: ArraySlice<UInt8>, start: Int) throws(JSONSyntaxError) -> String {
        guard let text = String(validating: utf8, as: UTF8.self) else {
            throw error("invalid UTF-8 in a string", at: start)
        }
        return text
    }

    private func controlCharacterError(_ byte: UInt8) -> JSONSyntaxError {
        error("unescaped control character \(describe(byte)) in a string; write it as a \\u escape")
    }

    private func describe(_ byte: UInt8) -> String {
        (0x21..<0x7F).contains(byte)
            ? "character '\(Character(Unicode.Scalar(byte)))'"
            : "byte 0x\(String(byte, radix: 16, uppercase: true))"
    }

    private func error(_ reason: String, at offset: Int? = nil) -> JSONSyntaxError {
        let offset = min(offset ?? position, bytes.count)
        var line = 1
        var lineStart = 0
        for index in 0..<offset where bytes[index] == UInt8(ascii: "\n") {
            line += 1
            lineStart = index + 1
        }
        return JSONSyntaxError(line: line, column: offset - lineStart + 1, reason: reason)
    }
}
