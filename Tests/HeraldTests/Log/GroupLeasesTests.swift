import Foundation
import Testing

@testable import Herald

@Suite struct GroupLeasesTests {
    let start = Date(timeIntervalSince1970: 1_767_225_600)

    func lease(
        _ sequence: Int64, until seconds: TimeInterval, key: String? = nil, hasRow: Bool = false, attempt: Int = 1
    )
        -> GroupLeases.Lease
    {
        GroupLeases.Lease(
            sequence: sequence, attempt: attempt, until: start.addingTimeInterval(seconds), partitionKey: key,
            hasRow: hasRow)
    }

    @Test func anAckSettlesOnlyACurrentLeaseAndOnlyOnce() {
        var leases = GroupLeases()
        leases.add(lease(1, until: 30), id: "a")
        #expect(leases.settle("a", at: start)?.sequence == 1)
        #expect(leases.settle("a", at: start) == nil)
        #expect(leases.settle("unknown", at: start) == nil)
        leases.add(lease(2, until: 30), id: "b")
        // At the lease's end it is no longer current; it waits for expire(at:).
        #expect(leases.settle("b", at: start.addingTimeInterval(30)) == nil)
        #expect(leases.count == 1)
    }

    @Test func expiryEndsExactlyTheLeasesThatRanOutAndKeepsTheEarliestEndExact() {
        var leases = GroupLeases()
        leases.add(lease(3, until: 20), id: "c")
        leases.add(lease(1, until: 10), id: "a")
        leases.add(lease(2, until: 40), id: "b")
        #expect(leases.earliestEnd == start.addingTimeInterval(10))
        #expect(leases.expire(at: start.addingTimeInterval(5)).isEmpty)
        let ended = leases.expire(at: start.addingTimeInterval(20))
        #expect(ended.map(\.sequence) == [1, 3])
        #expect(leases.earliestEnd == start.addingTimeInterval(40))
        #expect(leases.settle("b", at: start.addingTimeInterval(21))?.sequence == 2)
        #expect(leases.earliestEnd == nil)
    }

    @Test func partitionKeysAreHeldWhileAnyOfTheirLeasesIsOut() {
        var leases = GroupLeases()
        leases.add(lease(1, until: 30, key: "k"), id: "a")
        leases.add(lease(2, until: 30, key: "k"), id: "b")
        leases.add(lease(3, until: 30), id: "c")
        #expect(leases.holds(partitionKey: "k"))
        #expect(Set(leases.partitionKeys) == ["k"])
        _ = leases.settle("a", at: start)
        #expect(leases.holds(partitionKey: "k"))
        _ = leases.expire(at: start.addingTimeInterval(30))
        #expect(!leases.holds(partitionKey: "k"))
        #expect(leases.count == 0)
    }

    @Test func countsSequencesWithoutRowsAndWhatRanOut() {
        var leases = GroupLeases()
        leases.add(lease(9, until: 10), id: "a")
        leases.add(lease(4, until: 30, hasRow: true, attempt: 3), id: "b")
        leases.add(lease(7, until: 10, attempt: 3), id: "c")
        #expect(leases.sequencesWithoutRows == [7, 9])
        #expect(leases.current(at: start.addingTimeInterval(10)) == 1)
        let ranOut = leases.ranOut(at: start.addingTimeInterval(10), maxAttempts: 3)
        #expect(ranOut.waiting == 1)
        #expect(ranOut.dead == 1)
    }
}
