import Foundation
import Herald

/// Runs one case of a suite whose cases may check a store again after reopening it (the schedule and process
/// suites): a fresh store on a test clock at `epoch`, the case's body, then, when the body returns checks for
/// after a restart, the reopened store and those checks; the store is torn down however the case ends.
enum ReopeningCaseRun {
    static func run<Store: Sendable>(
        epoch: Date,
        makeStore: (any WallClock) async throws -> Store,
        reopen: (Store, any WallClock) async throws -> Store,
        tearDown: (Store) async throws -> Void,
        body: (Store, TestClock) async throws -> (@Sendable (Store) async throws -> Void)?
    ) async throws {
        let clock = TestClock()
        let wallClock = clock.wallClock(epoch: epoch)
        var store = try await makeStore(wallClock)
        do {
            if let afterReopen = try await body(store, clock) {
                store = try await reopen(store, wallClock)
                try await afterReopen(store)
            }
        } catch {
            try? await tearDown(store)
            throw error
        }
        try await tearDown(store)
    }
}
