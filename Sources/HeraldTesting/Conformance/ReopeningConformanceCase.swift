import Foundation
import Herald

/// One behaviour of a suite whose cases may check a store again after reopening it: the schedule suite
/// (``ScheduleStoreConformanceCase``) and the process suite (``ProcessStoreConformanceCase``).
///
/// The body gets a fresh store and a test clock (which the store reads when the fixture supports
/// ``Capabilities/controllableClock``); a case that checks durability returns a second body, which runs
/// against the reopened store. Each suite's `run(_:)` takes its own kind of fixture.
public struct ReopeningConformanceCase<Store: Sendable>: Sendable, CustomStringConvertible {
    /// What the case checks, as a sentence.
    public var name: String
    /// The capabilities a fixture needs for the case.
    public var requirements: Capabilities
    private var body: @Sendable (Store, TestClock) async throws -> (@Sendable (Store) async throws -> Void)?

    init(
        name: String,
        requirements: Capabilities = [],
        check: @escaping @Sendable (Store, TestClock) async throws -> Void
    ) {
        self.name = name
        self.requirements = requirements
        self.body = { store, clock in
            try await check(store, clock)
            return nil
        }
    }

    /// A case whose body returns the checks to run after the store is reopened.
    static func checkingAfterReopen(
        name: String,
        requirements: Capabilities,
        _ body: @escaping @Sendable (Store, TestClock) async throws -> (@Sendable (Store) async throws -> Void)?
    ) -> ReopeningConformanceCase {
        var testCase = ReopeningConformanceCase(name: name, requirements: requirements) { _, _ in }
        testCase.body = body
        return testCase
    }

    /// Runs the case on a fresh store on a test clock at `epoch`, reopening it when the body asks to; tears the
    /// store down however the case ends. Returns at once when `capabilities` lack a requirement.
    func run(
        capabilities: Capabilities,
        epoch: Date,
        makeStore: (any WallClock) async throws -> Store,
        reopen: (Store, any WallClock) async throws -> Store,
        tearDown: (Store) async throws -> Void
    ) async throws {
        guard capabilities.isSuperset(of: requirements) else { return }
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

    public var description: String { name }
}
