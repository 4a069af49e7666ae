import HeraldExamples
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
}
