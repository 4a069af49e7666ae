import Herald

/// An AsyncStream per subscriber, found by exact topic in a dictionary; one task drains each stream.
struct AsyncStreamTarget: BusTarget {
    static let name = "asyncstream"
    let continuations: [String: [AsyncStream<Event>.Continuation]]
    let consumers: [Task<Void, Never>]

    static func supports(_ scenario: BusScenario) -> Bool { scenario.concurrency == 1 }

    init(scenario: BusScenario, handler: @escaping @Sendable (Event) -> Void) async throws {
        var continuations: [String: [AsyncStream<Event>.Continuation]] = [:]
        var consumers: [Task<Void, Never>] = []
        for topic in scenario.subscriberTopics {
            let (stream, continuation) = AsyncStream<Event>.makeStream()
            continuations[topic, default: []].append(continuation)
            consumers.append(
                Task {
                    for await event in stream { handler(event) }
                })
        }
        self.continuations = continuations
        self.consumers = consumers
    }

    func publish(_ event: Event) async throws {
        for continuation in continuations[event.type] ?? [] { continuation.yield(event) }
    }

    func finish() async throws {
        for continuation in continuations.values.joined() { continuation.finish() }
        for consumer in consumers { await consumer.value }
    }
}
