/// Why a JSON document could not be decoded into events: malformed JSON, the wrong shape, or an attribute
/// that breaks the CloudEvents rules.
///
/// The description names the problem and how to fix it, prefixed with the event's position in a batch,
/// for example `event 2 of the batch: 'id' must be a JSON string, got 5`.
public struct EventDecodingError: Error, Hashable, CustomStringConvertible {
    /// The 0-based position of the offending event in a batch; `nil` for a single event, or when the
    /// batch document as a whole is at fault.
    public var index: Int?
    /// The attribute at fault, or `nil` when the document itself is (malformed JSON, not an object).
    public var attribute: String?
    /// What is wrong and how to fix it; reads as the rest of a sentence after the attribute name.
    public var reason: String

    /// Creates an error.
    public init(index: Int? = nil, attribute: String? = nil, reason: String) {
        self.index = index
        self.attribute = attribute
        self.reason = reason
    }

    /// Wraps a validation failure of a decoded event.
    public init(_ error: EventValidationError, index: Int? = nil) {
        self.init(index: index, attribute: error.attribute, reason: error.reason)
    }

    public var description: String {
        let position = index.map { "event \($0) of the batch: " } ?? ""
        let subject = attribute.map { "'\($0)' " } ?? ""
        return position + subject + reason
    }
}
