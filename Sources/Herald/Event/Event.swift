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
public struct Event: Sendable {
    /// The only CloudEvents version Herald speaks.
    public static let specVersion = "1.0"

    /// Identifies the event; unique per `source`.
    public var id: String {
        get { storage.id }
        set { mutableStorage().id = newValue }
    }
    /// Identifies the context in which the event happened, as a URI-reference.
    public var source: String {
        get { storage.source }
        set { mutableStorage().source = newValue }
    }
    /// The kind of event, for example `orders.placed`. Herald routes by it: an event's topic is its type.
    public var type: String {
        get { storage.type }
        set { mutableStorage().type = newValue }
    }
    /// The media type of `data`, for example `application/json`.
    public var dataContentType: String? {
        get { storage.dataContentType }
        set { mutableStorage().dataContentType = newValue }
    }
    /// A URI of the schema `data` adheres to.
    public var dataSchema: String? {
        get { storage.dataSchema }
        set { mutableStorage().dataSchema = newValue }
    }
    /// The subject of the event within the context of the source, for example `order-42`.
    public var subject: String? {
        get { storage.subject }
        set { mutableStorage().subject = newValue }
    }
    /// When the occurrence happened.
    public var time: Date? {
        get { storage.time }
        set { mutableStorage().time = newValue }
    }
    /// Extension attributes, keyed by name (1-20 characters of `a-z` and `0-9`).
    public var extensions: [String: ExtensionValue] {
        get { storage.extensions }
        set { mutableStorage().extensions = newValue }
    }
    /// The payload bytes, or `nil` for an event without data.
    public var data: Data? {
        get { storage.data }
        set { mutableStorage().data = newValue }
    }

    /// The attributes live in one shared, copy-on-write box, so that copying an event (into a buffer, to
    /// each subscriber) costs one reference count instead of a copy of every attribute.
    private var storage: Storage

    private mutating func mutableStorage() -> Storage {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return storage
    }

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
        storage = Storage(
            id: id, source: source, type: type, dataContentType: dataContentType, dataSchema: dataSchema,
            subject: subject, time: time, extensions: extensions, data: data)
    }
}

extension Event {
    /// The attributes of an event. Only ``Event`` mutates it, and only while it holds the sole
    /// reference, so it is never written while shared.
    ///
    /// `@unchecked Sendable` is safe: an instance is mutated only through `Event.mutableStorage()`,
    /// which first makes sure the calling `Event` value is its only owner; a shared instance is never
    /// written, so concurrent readers only ever read.
    fileprivate final class Storage: @unchecked Sendable {
        var id: String
        var source: String
        var type: String
        var dataContentType: String?
        var dataSchema: String?
        var subject: String?
        var time: Date?
        var extensions: [String: ExtensionValue]
        var data: Data?

        init(
            id: String, source: String, type: String, dataContentType: String?, dataSchema: String?,
            subject: String?, time: Date?, extensions: [String: ExtensionValue], data: Data?
        ) {
            self.id = id
            self.source = source
            self.type = type
            self.dataContentType = dataContentType
            self.dataSchema = dataSchema
            self.subject = subject
            self.time = time
            self.extensions = extensions
            self.data = data
        }

        func copy() -> Storage {
            Storage(
                id: id, source: source, type: type, dataContentType: dataContentType, dataSchema: dataSchema,
                subject: subject, time: time, extensions: extensions, data: data)
        }
    }
}

extension Event: Hashable {
    public static func == (lhs: Event, rhs: Event) -> Bool {
        if lhs.storage === rhs.storage { return true }
        return lhs.id == rhs.id && lhs.source == rhs.source && lhs.type == rhs.type
            && lhs.dataContentType == rhs.dataContentType && lhs.dataSchema == rhs.dataSchema
            && lhs.subject == rhs.subject && lhs.time == rhs.time && lhs.extensions == rhs.extensions
            && lhs.data == rhs.data
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(source)
        hasher.combine(type)
        hasher.combine(dataContentType)
        hasher.combine(dataSchema)
        hasher.combine(subject)
        hasher.combine(time)
        hasher.combine(extensions)
        hasher.combine(data)
    }
}
