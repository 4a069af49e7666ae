import Foundation

/// The extension attributes Herald itself reads and writes. docs/extensions.md describes each.
extension Event {
    /// Names of the extension attributes Herald uses.
    public enum ExtensionName {
        /// Ordering key: events with the same key are handled one at a time, in publish order.
        public static let partitionKey = "partitionkey"
        /// The id of the first event of a causal chain, carried by every event the chain causes.
        public static let correlationID = "correlationid"
        /// The id of the event whose handling produced this one.
        public static let causationID = "causationid"
        /// How many handlers the causal chain has passed; the loop guard limits it.
        public static let hops = "hops"
        /// The earliest time the event may be delivered (delayed delivery in the durable log).
        public static let deliverAt = "deliverat"
    }

    /// The ordering key (`partitionkey`), if any.
    public var partitionKey: String? {
        get { extensions[ExtensionName.partitionKey]?.textValue }
        set { extensions[ExtensionName.partitionKey] = newValue.map(ExtensionValue.string) }
    }

    /// The correlation id (`correlationid`), if any.
    public var correlationID: String? {
        get { extensions[ExtensionName.correlationID]?.textValue }
        set { extensions[ExtensionName.correlationID] = newValue.map(ExtensionValue.string) }
    }

    /// The causation id (`causationid`), if any.
    public var causationID: String? {
        get { extensions[ExtensionName.causationID]?.textValue }
        set { extensions[ExtensionName.causationID] = newValue.map(ExtensionValue.string) }
    }

    /// How many handlers the causal chain has passed (`hops`); 0 when absent or unreadable.
    public var hops: Int {
        get {
            switch extensions[ExtensionName.hops] {
            case .integer(let value): Int(value)
            case .string(let text): Int(text) ?? 0
            default: 0
            }
        }
        set { extensions[ExtensionName.hops] = .integer(Int32(clamping: newValue)) }
    }

    /// The earliest delivery time (`deliverat`), if any.
    ///
    /// Reads a ``ExtensionValue/timestamp(_:)``, or a string in RFC 3339 form since that is how the JSON
    /// format and HTTP headers carry it; `nil` when absent or unreadable. Setting stores a timestamp.
    public var deliverAt: Date? {
        get {
            switch extensions[ExtensionName.deliverAt] {
            case .timestamp(let date): date
            case .string(let text): RFC3339.parse(text)
            default: nil
            }
        }
        set { extensions[ExtensionName.deliverAt] = newValue.map(ExtensionValue.timestamp) }
    }
}

extension ExtensionValue {
    /// The value as text, for the string-like types; `nil` for the others.
    var textValue: String? {
        switch self {
        case .string(let text), .uri(let text), .uriReference(let text): text
        case .integer(let value): String(value)
        case .boolean, .binary, .timestamp: nil
        }
    }
}
