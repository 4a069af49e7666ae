import AsyncAlgorithms
import Herald

/// swift-async-algorithms' AsyncChannel per subscriber: each send waits until the subscriber takes it.
struct AsyncChannelTarget: BusTarget {
    static let name = "asyncchannel"
    let channels: [String: [AsyncChannel<Event>]]
    let consumers: [Task<Void, Never>]

    static func supports(_ scenario: BusScenario) -> Bool { scenario.concurrency == 1 }

    init(scenario: BusScenario, handler: @escaping @Sendable (Event) -> Void) async throws {
        var channels: [String: [AsyncChannel<Event>]] = [:]
        var consumers: [Task<Void, Never>] = []
        for topic in scenario.subscriberTopics {
            let channel = AsyncChannel<Event>()
            channels[topic, default: []].append(channel)
            consumers.append(
                Task {
                    for await event in channel { handler(event) }
                })
        }
        self.channels = channels
        self.consumers = consumers
    }

    func publish(_ event: Event) async throws {
        for channel in channels[event.type] ?? [] { await channel.send(event) }
    }

    func finish() async throws {
        for channel in channels.values.joined() { channel.finish() }
        for consumer in consumers { await consumer.value }
    }
}
