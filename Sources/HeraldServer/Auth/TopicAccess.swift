import Herald
import Hummingbird

/// The topics a request's API key may use with each scope, and the checks every route makes with them.
///
/// A key's scopes may each be limited to topic patterns (``APIKey/topicLimits``); a scope without a limit, and
/// every request to a server without keys, covers every topic. What each scope's patterns govern:
/// - `publish`: the type of every event published (`POST /v1/events` in any mode, WebSocket messages); a batch
///   with one event outside is refused whole.
/// - `subscribe`: the `topic` of `GET /v1/events`, `/v1/stream` and `/v1/ws`, which must be covered by one of
///   the patterns (``TopicPattern/covers(_:)``), and is required for a limited key: without it the request is
///   refused rather than silently narrowed; `GET /v1/topics` and `GET /v1/groups` list only what is covered;
///   polling, settling, showing a group and listing its dead letters need the group's topic covered.
/// - `admin`: creating, deleting and requeueing a group need its topic covered; creating, replacing, deleting,
///   pausing and resuming a schedule need its event type matched by the `admin` patterns and, when the key's
///   `publish` scope is limited, by those too, since the schedule publishes on the key's behalf. Listing and
///   showing schedules (a `subscribe` route) needs the type matched by the `subscribe` patterns.
///
/// A refused request gets `403` naming the key and the topic or group it asked for, never other topics.
public struct TopicAccess: Sendable {
    /// The key's name, for problem details; `nil` without keys.
    let keyName: String?
    /// The patterns of each limited scope.
    let limits: [APIKey.Scope: [TopicPattern]]

    /// Every topic with every scope: a server without keys, or a key without limits.
    public static let unrestricted = TopicAccess(keyName: nil, limits: [:])

    /// The access of `key`, unrestricted when `nil`.
    public init(key: APIKey?) {
        self.init(keyName: key?.name, limits: key?.topicLimits ?? [:])
    }

    private init(keyName: String?, limits: [APIKey.Scope: [TopicPattern]]) {
        self.keyName = keyName
        self.limits = limits
    }

    /// Whether `scope` is limited to some topics.
    func isLimited(_ scope: APIKey.Scope) -> Bool { limits[scope] != nil }

    /// Whether `scope` may be used on events of type `topic`.
    func permits(_ scope: APIKey.Scope, topic: String) -> Bool {
        guard let patterns = limits[scope] else { return true }
        return patterns.contains { $0.matches(topic) }
    }

    /// Whether `scope` may be used on every topic `pattern` matches.
    func permits(_ scope: APIKey.Scope, pattern: TopicPattern) -> Bool {
        guard let patterns = limits[scope] else { return true }
        return patterns.contains { $0.covers(pattern) }
    }

    /// Checks that every event may be published, all or nothing.
    ///
    /// - Throws: ``ProblemDetails`` (403) naming the key and every type outside its `publish` patterns.
    func checkPublish(_ events: [Event]) throws(ProblemDetails) {
        guard isLimited(.publish) else { return }
        var errors: [ProblemDetails.EventError] = []
        for (index, event) in events.enumerated() where !permits(.publish, topic: event.type) {
            errors.append(
                .init(
                    index: index, attribute: "type", detail: "type '\(event.type)' is outside the key's publish topics")
            )
        }
        guard let first = errors.first else { return }
        let type = events[first.index].type
        let batch = events.count > 1 ? "; nothing of the batch was stored" : ""
        throw ProblemDetails.topicForbidden(
            "API key '\(keyName ?? "")' may not publish events of type '\(type)': its publish scope is limited to "
                + "\(patternList(.publish))\(batch)",
            errors: events.count > 1 ? errors : nil)
    }

    /// Checks that `topic`, the pattern a read or stream asked for, may be read.
    ///
    /// - Throws: ``ProblemDetails`` (403) when the pattern is outside the key's `subscribe` patterns, or missing
    ///   while they are limited.
    func checkSubscribe(_ topic: TopicPattern?) throws(ProblemDetails) {
        guard isLimited(.subscribe) else { return }
        guard let topic else {
            throw ProblemDetails.topicForbidden(
                "API key '\(keyName ?? "")' may only read some topics, so name one: add 'topic=PATTERN' with a "
                    + "pattern within \(patternList(.subscribe))")
        }
        guard permits(.subscribe, pattern: topic) else {
            throw ProblemDetails.topicForbidden(
                "API key '\(keyName ?? "")' may not read topic '\(topic)': its subscribe scope is limited to "
                    + "\(patternList(.subscribe)); ask for a pattern within them")
        }
    }

    /// Checks that the group with topic `topic` may be used with `scope`.
    ///
    /// - Throws: ``ProblemDetails`` (403) naming the key and the group, but not the group's topic, which the
    ///   client may not know.
    func checkGroup(_ name: String, topic: TopicPattern, scope: APIKey.Scope) throws(ProblemDetails) {
        guard !permits(scope, pattern: topic) else { return }
        throw ProblemDetails.topicForbidden(
            "API key '\(keyName ?? "")' may not use consumer group '\(name)' for \(scope): the group's topic is "
                + "outside the key's \(scope) topics (\(patternList(scope)))")
    }

    /// Checks that a group for `topic` may be created by this key.
    ///
    /// - Throws: ``ProblemDetails`` (403) naming the key and the topic asked for.
    func checkGroupCreation(topic: TopicPattern) throws(ProblemDetails) {
        guard !permits(.admin, pattern: topic) else { return }
        throw ProblemDetails.topicForbidden(
            "API key '\(keyName ?? "")' may not create a consumer group for topic '\(topic)': its admin scope is "
                + "limited to \(patternList(.admin)); use a topic within them")
    }

    /// The scopes whose topics must match a schedule's event type to administer it: `admin`, and `publish` since
    /// the schedule publishes on the key's behalf.
    static let scheduleAdministration: [APIKey.Scope] = [.admin, .publish]

    /// Whether the schedule publishing events of type `type` may be used with each of `scopes`.
    func permitsSchedule(eventType type: String, scopes: [APIKey.Scope]) -> Bool {
        scopes.allSatisfy { permits($0, topic: type) }
    }

    /// Checks that the schedule `name`, publishing events of type `type`, may be used with each of `scopes`.
    ///
    /// - Throws: ``ProblemDetails`` (403) naming the key and the schedule.
    func checkSchedule(_ name: String, eventType type: String, scopes: [APIKey.Scope]) throws(ProblemDetails) {
        for scope in scopes where !permits(scope, topic: type) {
            throw ProblemDetails.topicForbidden(
                "API key '\(keyName ?? "")' may not use schedule '\(name)' for \(scope): the type of the events it "
                    + "publishes is outside the key's \(scope) topics (\(patternList(scope)))")
        }
    }

    /// The patterns of `scope` for a message, as `'a.>', 'b.*'`.
    private func patternList(_ scope: APIKey.Scope) -> String {
        (limits[scope] ?? []).map { "'\($0)'" }.joined(separator: ", ")
    }
}
