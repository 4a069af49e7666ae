import Synchronization

/// Counts handler calls (the same work for every target's handler) and consumed deliveries.
final class DeliveryCounter: Sendable {
    private let count = Atomic(0)

    func increment() { count.add(1, ordering: .relaxed) }

    func add(_ amount: Int) { count.add(amount, ordering: .relaxed) }

    var value: Int { count.load(ordering: .relaxed) }
}
