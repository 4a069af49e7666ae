/// Why ``Event/validate()`` rejected an event: the attribute at fault and the rule it breaks.
///
/// The description reads as one sentence that names the attribute, the rule and how to fix it, for
/// example `'id' is required and must be a non-empty string`.
public struct EventValidationError: Error, Hashable, CustomStringConvertible {
    /// The attribute at fault, as the spec names it (`id`, `dataschema`) or as the extension is named.
    public var attribute: String
    /// The rule the attribute breaks and how to fix it; reads as the rest of a sentence after the name.
    public var reason: String

    /// Creates an error for `attribute`.
    public init(attribute: String, reason: String) {
        self.attribute = attribute
        self.reason = reason
    }

    public var description: String { "'\(attribute)' \(reason)" }
}
