import HeraldExamples
import HeraldTesting
import Synchronization
import Testing

@Suite struct ObserverScenarioTests {
    @Test func removedObserverMissesOnlyTheEventsAfterItLeft() async throws {
        let lines = Mutex<[String]>([])
        let report = try await ObserverScenario.run(eventsPerRound: 7) { line in lines.withLock { $0.append(line) } }
        #expect(report.observersPerRound == [3, 2])
        #expect(report.afterFirstRound == ["audit-log": 7, "mobile-push": 7, "search-index": 7])
        #expect(report.final == ["audit-log": 14, "mobile-push": 7, "search-index": 14])
        #expect(lines.withLock { $0 }.contains("removed observer mobile-push"))
    }

    @Test func durableObserverCatchesUpOnExactlyWhatItMissedAfterARestart() async throws {
        let report = try await withTimeLimit(testHangLimit, "the observer scenario") {
            try await ObserverScenario.run(eventsPerRound: 4) { _ in }
        }
        #expect(report.restart.beforeRestart == (1...4).map { "story-3-\($0)" })
        #expect(report.restart.afterRestart == (1...4).map { "story-4-\($0)" })
    }
}
