import Foundation

/// A CloudEvents 1.0 event: the envelope Herald publishes, routes, stores and serves.
///
/// The context attributes follow the CloudEvents 1.0 specification. Property names are Swift-style
/// (`dataContentType`); the JSON format uses the spec's names (`datacontenttype`).
///
/// `data` holds the payload bytes. For JSON content (`datacontenttype` absent, `*/json` or `*/*+json`)
/// those bytes are JSON text, so a JSON `null` payload is the four bytes `null` and stays distinct from
/// an event with no data (`data == nil`).
///
/// Creating an event does not validate it; ``validate()`` does, and every entry point that accepts
/// events from outside (the bus, the JSON decoder) calls it.
public struct Event: Sendable, Hashable {
    /// The only CloudEvents version Herald speaks.
    public static let specVersion = "1.0"

    /// Identifies the event; unique per `source`.
    public var id: String
    /// Identifies the context in which the event happened, as a URI-reference.
    public var source: String
    /// The kind of event, for example `orders.placed`. Herald routes by it: an event's topic is its type.
    public var type: String
    /// The media type of `data`, for example `application/json`.
    public var dataContentType: String?
    /// A URI of the schema `data` adheres to.
    public var dataSchema: String?
    /// The subject of the event within the context of the source, for example `order-42`.
    public var subject: String?
    /// When the occurrence happened.
    public var time: Date?
    /// Extension attributes, keyed by name (1-20 characters of `a-z` and `0-9`).
    public var extensions: [String: ExtensionValue]
    /// The payload bytes, or `nil` for an event without data.
    public var data: Data?

    /// Creates an event. The `id` defaults to a new UUID.
    public init(
        id: String = UUID().uuidString,
        source: String,
        type: String,
        subject: String? = nil,
        time: Date? = nil,
        dataContentType: String? = nil,
        dataSchema: String? = nil,
        extensions: [String: ExtensionValue] = [:],
        data: Data? = nil
    ) {
        self.id = id
        self.source = source
        self.type = type
        self.subject = subject
        self.time = time
        self.dataContentType = dataContentType
        self.dataSchema = dataSchema
        self.extensions = extensions
        self.data = data
    }
}
