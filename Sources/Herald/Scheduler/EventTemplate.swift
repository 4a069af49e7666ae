import Foundation

/// The event a schedule publishes each time it fires.
public struct EventTemplate: Sendable, Hashable {
    /// The `type` of each event.
    public var type: String
    /// The `source` of each event.
    public var source: String
    /// The `subject` of each event, if any.
    public var subject: String?
    /// The JSON `data` of each event, if any (`datacontenttype` is then `application/json`).
    public var data: JSONValue?

    /// Creates a template.
    public init(type: String, source: String, subject: String? = nil, data: JSONValue? = nil) {
        self.type = type
        self.source = source
        self.subject = subject
        self.data = data
    }

    /// The event for the firing of `schedule` at `instant`: `time` is the instant, and the id is the same
    /// for the same schedule and instant, so the log stores a firing repeated by accident (two nodes, a
    /// retry after a crash) only once.
    public func event(schedule: String, instant: Date) -> Event {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Event(
            id: "\(schedule)@\(RFC3339.format(instant))",
            source: source,
            type: type,
            subject: subject,
            time: instant,
            dataContentType: data == nil ? nil : "application/json",
            extensions: ["heraldschedule": .string(schedule)],
            data: data.flatMap { try? encoder.encode($0) }
        )
    }
}
