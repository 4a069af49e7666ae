import Herald
import Synchronization

/// The observer scenario: observers register on a topic, count what they see, and one unregisters; then a
/// durable observer misses events while down and catches up after a restart.
///
/// Three observers subscribe to `news.>` on an in-process ``EventBus``; events are published and each
/// observer's count shown; one observer is removed, more events go only to the other two, and the final
/// counts are printed. An in-process subscription forgets what it missed; a persistent one does not:
/// `ObserverScenario+Restart.swift` shows an observer on a ``PersistentEventBus`` handling, after a
/// restart, exactly the events published while it was down. `herald demo observers` runs it;
/// `Tests/HeraldExamplesTests` checks its counts.
public enum ObserverScenario {
    /// How many events each observer saw, by name, after each phase.
    public struct Report: Sendable, Hashable {
        /// Counts after the first round, when all three observers were registered.
        public var afterFirstRound: [String: Int]
        /// Counts after the second round, when one observer had been removed.
        public var final: [String: Int]
        /// How many observers the topic had in each round.
        public var observersPerRound: [Int]
        /// What the durable observer saw before and after its restart.
        public var restart: RestartReport
    }

    /// The observers' names; the second one leaves after the first round.
    public static let observerNames = ["audit-log", "mobile-push", "search-index"]

    /// Runs the scenario on a new in-process bus, printing each step with `print`.
    public static func run(eventsPerRound: Int = 5, print: @Sendable (String) -> Void = { Swift.print($0) })
        async throws
        -> Report
    {
        let bus = EventBus()
        let counters = Dictionary(uniqueKeysWithValues: observerNames.map { ($0, ObserverCounter()) })
        var subscriptions: [String: Subscription] = [:]
        for name in observerNames {
            let counter = counters[name]!
            subscriptions[name] = try bus.subscribe("news.>", options: SubscriptionOptions(name: name)) { _ in
                counter.increment()
            }
            print("registered observer \(name)")
        }

        func publishRound(_ round: Int) async throws -> Int {
            let observers = bus.subscriberCount(matching: "news.published")
            print("round \(round): \(observers) observers on news.published; publishing \(eventsPerRound) events")
            for number in 1...eventsPerRound {
                try await bus.publish(
                    Event(source: "/newsroom", type: "news.published", subject: "story-\(round)-\(number)"))
            }
            await bus.waitUntilIdle()
            for name in observerNames {
                print("  \(name): \(counters[name]!.value) events")
            }
            return observers
        }

        let firstObservers = try await publishRound(1)
        let afterFirstRound = counters.mapValues(\.value)
        let leaving = observerNames[1]
        subscriptions[leaving]?.cancel()
        print("removed observer \(leaving)")
        let secondObservers = try await publishRound(2)
        let final = counters.mapValues(\.value)
        print("final counts: " + observerNames.map { "\($0)=\(final[$0]!)" }.joined(separator: ", "))
        await bus.shutdown()
        let restart = try await runRestart(eventsPerRound: eventsPerRound, print: print)
        return Report(
            afterFirstRound: afterFirstRound, final: final, observersPerRound: [firstObservers, secondObservers],
            restart: restart)
    }
}

private final class ObserverCounter: Sendable {
    private let count = Atomic(0)

    func increment() { count.add(1, ordering: .relaxed) }

    var value: Int { count.load(ordering: .relaxed) }
}
