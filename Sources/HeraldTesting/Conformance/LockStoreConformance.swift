import Herald

/// The behaviours every ``LockStore`` backend must show, as test cases a backend's test target runs
/// against its own store in a few lines.
///
/// ```swift
/// @Test(arguments: LockStoreConformance.cases(supporting: SQLiteLockStoreFixture().capabilities))
/// func conformance(_ testCase: LockStoreConformanceCase) async throws {
///     try await testCase.run(SQLiteLockStoreFixture())
/// }
/// ```
///
/// Each case makes a fresh store through a ``LockStoreFixture`` and reports failures with Swift Testing's
/// `#expect` and `#require`, so it must run inside a test. Cases that need time to pass use a
/// ``TestClock`` (``Capabilities/controllableClock``); the others use the system clock with leases long
/// enough not to run out during the case.
public enum LockStoreConformance {
    /// Every case, in a stable order.
    public static let cases: [LockStoreConformanceCase] = lockCases

    /// The cases a fixture with `capabilities` can run; pass these to `@Test(arguments:)`.
    public static func cases(supporting capabilities: Capabilities) -> [LockStoreConformanceCase] {
        cases.filter { capabilities.isSuperset(of: $0.requirements) }
    }
}

/// Makes the lock stores the lock conformance suite tests: one fixture per case run.
///
/// The suite calls ``makeStore(clock:)`` once per case, possibly ``reopen(_:clock:)``, and always
/// ``tearDown(_:)`` at the end, whether the case passed or not.
public protocol LockStoreFixture: Sendable {
    /// What the backend supports (``Capabilities/durableRestart``, ``Capabilities/controllableClock``);
    /// cases needing more are skipped.
    var capabilities: Capabilities { get }

    /// Makes a new store with no locks that reads time from `clock`.
    func makeStore(clock: any WallClock) async throws -> any LockStore

    /// Closes `store` and opens the same storage again, as a restart of the process would; only called
    /// when ``capabilities`` contains ``Capabilities/durableRestart``.
    func reopen(_ store: any LockStore, clock: any WallClock) async throws -> any LockStore

    /// Closes `store` and removes its storage.
    func tearDown(_ store: any LockStore) async throws
}

extension LockStoreFixture {
    /// Throws: a fixture without ``Capabilities/durableRestart`` cannot reopen a store.
    public func reopen(_ store: any LockStore, clock: any WallClock) async throws -> any LockStore {
        throw ConformanceFailure(
            "\(Self.self) cannot reopen a store; add .durableRestart to its capabilities and implement reopen(_:clock:)"
        )
    }

    /// Does nothing: stores that hold no outside resources need no teardown.
    public func tearDown(_ store: any LockStore) async throws {}
}

/// One behaviour of the lock suite, runnable against any ``LockStoreFixture``.
public struct LockStoreConformanceCase: Sendable, CustomStringConvertible {
    /// What the case checks, as a sentence; it names the test argument in test reports.
    public var name: String
    /// The capabilities a fixture needs for the case.
    public var requirements: Capabilities
    /// Runs the case against a fixture; use ``run(_:)``, which skips it when the fixture lacks a
    /// requirement.
    public var body: @Sendable (any LockStoreFixture) async throws -> Void

    /// Creates a case.
    public init(
        name: String,
        requirements: Capabilities = [],
        body: @escaping @Sendable (any LockStoreFixture) async throws -> Void
    ) {
        self.name = name
        self.requirements = requirements
        self.body = body
    }

    /// Runs the case against `fixture`; returns at once, checking nothing, when the fixture lacks one of
    /// ``requirements`` (filter with ``LockStoreConformance/cases(supporting:)`` to leave those out).
    public func run(_ fixture: any LockStoreFixture) async throws {
        guard fixture.capabilities.isSuperset(of: requirements) else { return }
        try await body(fixture)
    }

    public var description: String { name }
}
