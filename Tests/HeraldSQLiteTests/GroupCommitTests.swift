import Foundation
import HeraldSQLite
import HeraldTesting
import Testing

@Suite struct GroupCommitTests {
    @Test func concurrentAppendersGetDistinctSequencesAndNothingIsLost() async throws {
        try await withTemporaryStore { store in
            let results = try await withThrowingTaskGroup(of: [AppendResult].self) { group in
                for task in 0..<64 {
                    group.addTask {
                        var results: [AppendResult] = []
                        for index in 0..<20 { results.append(try await store.append(makeEvent("\(task)-\(index)"))) }
                        return results
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            let sequences = results.compactMap(\.sequence)
            #expect(sequences.count == 64 * 20)
            #expect(Set(sequences).count == sequences.count)
            let stored = try await store.read(after: 0, filter: .all, limit: 2_000).events
            #expect(stored.count == 64 * 20)
            #expect(
                Dictionary(uniqueKeysWithValues: stored.map { ($0.event.id, $0.sequence) })
                    == Dictionary(uniqueKeysWithValues: results.map { ($0.id, $0.sequence!) }))
        }
    }

    @Test func aVersionConflictInAGroupDoesNotFailTheOtherAppends() async throws {
        try await withTemporaryStore { store in
            let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                for task in 0..<32 {
                    group.addTask {
                        do {
                            _ = try await store.append([makeEvent("\(task)", subject: "s")], expecting: .noStream("s"))
                            return true
                        } catch let error as EventLogError where error.code == .versionConflict {
                            return false
                        }
                    }
                    group.addTask {
                        _ = try await store.append(makeEvent("free-\(task)"))
                        return true
                    }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { !$0 }.count == 31)
            #expect(try await store.streamVersion("s") == 1)
            #expect(try await store.lastSequence() == 33)
        }
    }
}
