import Foundation
import Synchronization
import Testing

@testable import Herald

/// The bus remembers which subscriptions match each event type (``EventBus/Configuration/typeCacheLimit``).
/// Whatever it remembers, forgets or recomputes, each event must reach exactly the subscriptions whose pattern
/// matches its type, as checking each pattern in turn says.
@Suite struct TypeCacheTests {
    /// The ids of the events each subscription received.
    final class Deliveries: Sendable {
        private let received = Mutex<[Int: [String]]>([:])

        func record(_ event: Event, by subscription: Int) {
            received.withLock { $0[subscription, default: []].append(event.id) }
        }

        func ids(of subscription: Int) -> [String] {
            received.withLock { $0[subscription] ?? [] }
        }
    }

    /// Random patterns and types, more distinct types than the cache holds (so that it fills and starts
    /// again), types repeated (so that it answers from memory), and subscriptions cancelled and added between
    /// rounds (so that it forgets).
    @Test(arguments: [1, 2, 3] as [UInt64])
    func deliversWhatADirectMatchSays(seed: UInt64) async throws {
        var random = SplitMix64(seed: seed)
        let bus = EventBus(configuration: EventBus.Configuration(typeCacheLimit: 16))
        let deliveries = Deliveries()
        var patterns: [Int: TopicPattern] = [:]
        var subscriptions: [Int: Subscription] = [:]
        var expected: [Int: [String]] = [:]

        func subscribe(_ index: Int) throws {
            let pattern = try TopicPattern(random.pattern())
            patterns[index] = pattern
            subscriptions[index] = try bus.subscribe(
                pattern.text, options: SubscriptionOptions(bufferCapacity: 1 << 16)
            ) { event in deliveries.record(event, by: index) }
        }

        for index in 0..<40 { try subscribe(index) }
        // Event types are never empty; some differ from others only in how an accent is encoded.
        let types = (0..<60).map { _ in random.topic() }.filter { !$0.isEmpty }
        var published = 0
        for round in 0..<4 {
            for _ in 0..<300 {
                let type = types[random.next(below: types.count)]
                let event = Event(id: "e\(published)", source: "/cache", type: type)
                published += 1
                try await bus.publish(event)
                for (index, pattern) in patterns where pattern.matches(type) {
                    expected[index, default: []].append(event.id)
                }
            }
            await bus.waitUntilIdle()
            for index in subscriptions.keys.sorted() {
                #expect(deliveries.ids(of: index) == expected[index] ?? [], "round \(round), subscription \(index)")
            }
            // Cancel a quarter, add as many.
            for index in subscriptions.keys.sorted() where random.next(below: 4) == 0 {
                subscriptions.removeValue(forKey: index)?.cancel()
                patterns.removeValue(forKey: index)
            }
            for index in (40 * (round + 1))..<(40 * (round + 1) + 10) { try subscribe(index) }
        }
        #expect(expected.values.map(\.count).reduce(0, +) > published, "the patterns matched too little to prove much")
        _ = await bus.shutdown(gracePeriod: .seconds(60))
    }
}
