import Foundation

/// Which stored events a read, a follower or a query wants; every condition set must hold.
public struct EventFilter: Sendable, Hashable {
    /// Events whose `type` matches this pattern.
    public var topic: TopicPattern?
    /// Events with exactly this `source`.
    public var source: String?
    /// Events with exactly this `subject`.
    public var subject: String?
    /// Events whose `time` falls in this range; events without a `time` never do.
    public var time: Range<Date>?

    /// A filter; with no arguments it lets every event through.
    public init(topic: TopicPattern? = nil, source: String? = nil, subject: String? = nil, time: Range<Date>? = nil) {
        self.topic = topic
        self.source = source
        self.subject = subject
        self.time = time
    }

    /// Every event.
    public static let all = EventFilter()

    /// Whether `event` passes.
    public func matches(_ event: Event) -> Bool {
        if let topic, !topic.matches(event.type) { return false }
        if let source, event.source != source { return false }
        if let subject, event.subject != subject { return false }
        if let time {
            guard let eventTime = event.time, time.contains(eventTime) else { return false }
        }
        return true
    }
}
