import Foundation
import Herald
import HeraldSQLite
import Synchronization

extension ObserverScenario {
    /// What the durable observer saw on each side of its restart.
    public struct RestartReport: Sendable, Hashable {
        /// The stories it handled before it went down.
        public var beforeRestart: [String]
        /// The stories it handled after it came back: exactly those published while it was down.
        public var afterRestart: [String]
    }

    /// The durable observer's name: its consumer group, which remembers how far it got.
    public static let durableObserverName = "archive"

    /// A persistent subscription catching up after a restart: `archive` observes `news.>` through a
    /// ``PersistentEventBus`` over a SQLite file, goes down, misses a round, and when the node restarts
    /// (the store is closed and opened again) and it registers under the same name, it handles exactly
    /// the events it missed, from the durable log.
    static func runRestart(eventsPerRound: Int, print: @Sendable (String) -> Void) async throws -> RestartReport {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-observers-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("observers.db").path

        let store = try await SQLiteEventStore.open(path: path)
        let before = DurableObserver()
        let bus = PersistentEventBus(store: store)
        try await bus.subscribe("news.>", name: durableObserverName, handler: before.handle)
        print("registered durable observer \(durableObserverName) (persistent subscription)")
        try await bus.publish(stories(round: 3, count: eventsPerRound))
        try await before.waitForCount(eventsPerRound)
        print("  \(durableObserverName): \(eventsPerRound) events; it goes down")
        await bus.shutdown()

        try await bus.publish(stories(round: 4, count: eventsPerRound))
        print("round 4: published \(eventsPerRound) events while \(durableObserverName) was down; the node restarts")
        try await store.close()

        let reopened = try await SQLiteEventStore.open(path: path)
        let after = DurableObserver()
        let restartedBus = PersistentEventBus(store: reopened)
        try await restartedBus.subscribe("news.>", name: durableObserverName, handler: after.handle)
        try await after.waitForCount(eventsPerRound)
        await restartedBus.shutdown()
        try await reopened.close()
        print("  \(durableObserverName) registered again and caught up on \(after.stories.count) missed events")
        return RestartReport(beforeRestart: before.stories, afterRestart: after.stories)
    }

    private static func stories(round: Int, count: Int) -> [Event] {
        (1...count).map { Event(source: "/newsroom", type: "news.published", subject: "story-\(round)-\($0)") }
    }
}

/// The durable observer's handler: records each story and tells whoever waits for a count.
private final class DurableObserver: Sendable {
    private let handled = Mutex<[String]>([])
    private let counts: AsyncStream<Int>
    private let continuation: AsyncStream<Int>.Continuation

    init() {
        (counts, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    var stories: [String] { handled.withLock { $0 } }

    @Sendable func handle(_ event: Event) async throws {
        let count = handled.withLock { stories in
            stories.append(event.subject ?? "")
            return stories.count
        }
        continuation.yield(count)
    }

    /// Returns once `count` stories were handled; throws `CancellationError` when cancelled first.
    func waitForCount(_ count: Int) async throws {
        for await handledCount in counts where handledCount >= count { return }
        throw CancellationError()
    }
}
