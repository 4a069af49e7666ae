import Foundation

/// A parsed JSON value: what an event's JSON `data` or an unknown JSON document holds.
///
/// Numbers that are integral and fit `Int64` are ``integer(_:)`` (so `5` and `5.0` are the same value);
/// all other numbers are ``number(_:)``. Objects do not keep member order, as JSON gives it no meaning.
public enum JSONValue: Sendable, Hashable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// An integral number that fits `Int64`.
    case integer(Int64)
    /// Any other number.
    case number(Double)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object.
    case object([String: JSONValue])

    /// The value as a ``number(_:)`` or, when integral and within `Int64`, an ``integer(_:)``.
    init(normalizing number: Double) {
        if number.rounded(.towardZero) == number, number >= -0x1p63, number < 0x1p63 {
            self = .integer(Int64(number))
        } else {
            self = .number(number)
        }
    }

    /// Parses a document holding one JSON value, strictly (RFC 8259; a name twice in one object is an error).
    package init(parsing data: Data) throws(JSONSyntaxError) {
        var parser = JSONParser(data)
        self = try parser.parseDocument()
    }

    /// How error messages describe what was found: the JSON text for scalars, the kind for containers.
    var summary: String {
        switch self {
        case .array: "an array"
        case .object: "an object"
        case .string(let text): "the string \(EventValidationError.quoted(text))"
        case .null: "null"
        case .bool(let flag): String(flag)
        case .integer(let number): String(number)
        case .number(let number): String(number)
        }
    }
}

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = JSONValue(normalizing: value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

extension JSONValue: ExpressibleByBooleanLiteral {
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension JSONValue: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int64) { self = .integer(value) }
}

extension JSONValue: ExpressibleByFloatLiteral {
    public init(floatLiteral value: Double) { self = JSONValue(normalizing: value) }
}

extension JSONValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
}

extension JSONValue: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
}

extension JSONValue: ExpressibleByDictionaryLiteral {
    /// Creates an object; a repeated key keeps its last value.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements) { _, last in last })
    }
}
