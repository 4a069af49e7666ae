/// Why ``Event/decode(_:)`` could not turn an event's data into the requested Swift type.
///
/// The description names the type, the event, the field and the problem, for example
/// `cannot decode Shop.OrderPlaced from event 'e-1' (orders.placed): at items[2].price: expected Double: ...`.
public struct PayloadDecodingError: Error, Hashable, CustomStringConvertible {
    /// The fully qualified name of the Swift type that was requested.
    public var payloadType: String
    /// The `type` of the event whose data was decoded.
    public var eventType: String
    /// The `id` of the event whose data was decoded.
    public var eventID: String
    /// Where in the payload decoding failed, such as `items[2].price`; empty for the payload as a whole.
    public var fieldPath: String
    /// What was wrong and how to fix it.
    public var reason: String

    /// Creates an error.
    public init(payloadType: String, eventType: String, eventID: String, fieldPath: String, reason: String) {
        self.payloadType = payloadType
        self.eventType = eventType
        self.eventID = eventID
        self.fieldPath = fieldPath
        self.reason = reason
    }

    public var description: String {
        let location = fieldPath.isEmpty ? "" : "at \(fieldPath): "
        return "cannot decode \(payloadType) from event '\(eventID)' (\(eventType)): \(location)\(reason)"
    }

    /// Renders a coding path the way one would write it in Swift: `items[2].price`.
    static func fieldPath(_ codingPath: [any CodingKey]) -> String {
        var path = ""
        for key in codingPath {
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += path.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return path
    }
}
