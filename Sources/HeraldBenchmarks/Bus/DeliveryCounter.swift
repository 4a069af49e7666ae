import Synchronization

/// Counts handler calls; the same work for every target's handler.
final class DeliveryCounter: Sendable {
    private let count = Atomic(0)

    func increment() { count.add(1, ordering: .relaxed) }

    var value: Int { count.load(ordering: .relaxed) }
}
