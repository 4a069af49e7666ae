import Foundation
import Herald
import Testing

@Suite struct SystemWallClockTests {
    /// RFC 3339 reaches the year 9999, and a schedule's `at` or an event's `deliverat` may be that far: more
    /// nanoseconds away than `Int64` holds. Sleeping until then once stopped the process.
    @Test(arguments: ["9999-12-31T23:59:59Z", "2400-01-01T00:00:00Z"])
    func sleepsUntilAFarDeadlineUntilCancelled(deadline: String) async throws {
        let far = try #require(RFC3339.parse(deadline))
        let sleeper = Task { try await SystemWallClock().sleep(until: far) }
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
    }

    @Test func returnsAtOnceForADeadlineInThePast() async throws {
        try await SystemWallClock().sleep(until: Date(timeIntervalSinceNow: -1))
        try await SystemWallClock().sleep(until: Date.distantPast)
    }

    @Test func sleepsUntilANearDeadline() async throws {
        let deadline = Date(timeIntervalSinceNow: 0.05)
        try await SystemWallClock().sleep(until: deadline)
        #expect(Date() >= deadline)
    }
}
