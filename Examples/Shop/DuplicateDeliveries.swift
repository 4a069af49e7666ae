import Herald
import Synchronization

/// Injects duplicate deliveries for the demo: a consumer-group store that turns some acknowledgements into
/// immediate redeliveries, as an acknowledgement lost in a crash would. Everything else goes to `base`.
final class DuplicateDeliveries: ConsumerGroupStore {
    let base: any ConsumerGroupStore
    /// The share of acknowledged events delivered again, 0 to 1.
    let rate: Double
    private let random: Mutex<SplitMix64>

    init(_ base: any ConsumerGroupStore, rate: Double, seed: UInt64) {
        self.base = base
        self.rate = rate
        self.random = Mutex(SplitMix64(seed: seed))
    }

    func ack(group: String, deliveryIDs: [String]) async throws -> Int {
        let redelivered = random.withLock { random in deliveryIDs.filter { _ in random.nextUnit() < rate } }
        if !redelivered.isEmpty {
            _ = try await base.nack(group: group, deliveryIDs: redelivered, delay: .zero, error: "duplicate (demo)")
        }
        let acknowledged = deliveryIDs.filter { !redelivered.contains($0) }
        return try await base.ack(group: group, deliveryIDs: acknowledged) + redelivered.count
    }

    func createGroup(_ configuration: ConsumerGroupConfiguration) async throws -> Bool {
        try await base.createGroup(configuration)
    }

    func deleteGroup(named name: String) async throws -> Bool { try await base.deleteGroup(named: name) }

    func groupInfo(named name: String) async throws -> ConsumerGroupInfo? { try await base.groupInfo(named: name) }

    func groups() async throws -> [ConsumerGroupInfo] { try await base.groups() }

    func poll(group: String, max: Int, wait: Duration) async throws -> [Delivery] {
        try await base.poll(group: group, max: max, wait: wait)
    }

    func nack(group: String, deliveryIDs: [String], delay: Duration, error: String?) async throws -> Int {
        try await base.nack(group: group, deliveryIDs: deliveryIDs, delay: delay, error: error)
    }

    func deadLetters(group: String, limit: Int) async throws -> [DeadLetteredEvent] {
        try await base.deadLetters(group: group, limit: limit)
    }

    func seek(group: String, to position: ConsumerGroupConfiguration.StartPosition) async throws -> Int64 {
        try await base.seek(group: group, to: position)
    }

    func requeueDeadLetters(group: String, sequences: [Int64]?) async throws -> Int {
        try await base.requeueDeadLetters(group: group, sequences: sequences)
    }
}
