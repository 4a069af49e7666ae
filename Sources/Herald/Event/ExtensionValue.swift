import Foundation

/// The value of a CloudEvents extension attribute, typed as the spec's type system allows.
///
/// Formats that carry no type information (the JSON format for most types, HTTP headers for all)
/// decode values as ``string(_:)``; accessors such as ``Event/hops`` accept both forms.
public enum ExtensionValue: Sendable, Hashable {
    /// The spec's Boolean.
    case boolean(Bool)
    /// The spec's Integer: a signed 32-bit number.
    case integer(Int32)
    /// The spec's String.
    case string(String)
    /// The spec's Binary: bytes, base64 in text formats.
    case binary(Data)
    /// The spec's URI: an absolute URI.
    case uri(String)
    /// The spec's URI-reference.
    case uriReference(String)
    /// The spec's Timestamp.
    case timestamp(Date)
}

extension ExtensionValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
}

extension ExtensionValue: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int32) { self = .integer(value) }
}

extension ExtensionValue: ExpressibleByBooleanLiteral {
    public init(booleanLiteral value: Bool) { self = .boolean(value) }
}
