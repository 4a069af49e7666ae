import Synchronization

/// Publish and handler-entry times for one latency run, in preallocated memory so that recording costs
/// the measured code nothing but a clock read and a store.
///
/// `@unchecked Sendable` is safe: each publish time is written once by the one task that publishes that
/// event index, before the event is published (so before any handler reads it); each latency slot is
/// written once, at an index handed out by an atomic counter; everything is read only after every
/// publisher and handler has finished.
final class LatencySamples: @unchecked Sendable {
    private let sentAt: UnsafeMutableBufferPointer<UInt64>
    private let latencies: UnsafeMutableBufferPointer<UInt64>
    private let recorded = Atomic(0)
    private let origin = ContinuousClock.now

    init(events: Int, deliveriesPerEvent: Int) {
        sentAt = .allocate(capacity: events)
        sentAt.initialize(repeating: 0)
        latencies = .allocate(capacity: events * deliveriesPerEvent)
        latencies.initialize(repeating: 0)
    }

    deinit {
        sentAt.deallocate()
        latencies.deallocate()
    }

    /// Nanoseconds since the samples were created.
    func now() -> UInt64 {
        UInt64((ContinuousClock.now - origin).inNanoseconds)
    }

    func markSent(_ index: Int) {
        sentAt[index] = now()
    }

    func markReceived(_ index: Int) {
        let latency = now() &- sentAt[index]
        let slot = recorded.add(1, ordering: .relaxed).oldValue
        if slot < latencies.count { latencies[slot] = latency }
    }

    /// The 50th and 99th percentile latencies in microseconds.
    func percentiles() -> (p50: Double, p99: Double) {
        let count = min(recorded.load(ordering: .relaxed), latencies.count)
        guard count > 0 else { return (0, 0) }
        let sorted = latencies.prefix(count).sorted()
        func percentile(_ fraction: Double) -> Double {
            Double(sorted[min(count - 1, Int(Double(count) * fraction))]) / 1_000
        }
        return (percentile(0.50), percentile(0.99))
    }
}

extension Duration {
    var inNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    var inSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
