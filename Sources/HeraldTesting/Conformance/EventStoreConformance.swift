import Herald

/// The behaviours every ``EventLog`` and ``ConsumerGroupStore`` backend must show, as test cases a
/// backend's test target runs against its own store in a few lines.
///
/// ```swift
/// @Test(arguments: EventStoreConformance.cases(supporting: SQLiteFixture().capabilities))
/// func conformance(_ testCase: ConformanceCase) async throws {
///     try await testCase.run(SQLiteFixture())
/// }
/// ```
///
/// Each case makes a fresh store through the fixture and reports failures with Swift Testing's `#expect`
/// and `#require`, so it must run inside a test. Cases that move time use a ``TestClock``; the others use
/// the system clock and short waits that end as soon as the awaited condition holds.
public enum EventStoreConformance {
    /// Every case, in a stable order.
    public static let cases: [ConformanceCase] =
        eventLogCases + consumerGroupCases + groupPositionCases + orderedGroupCases + reportingCases

    /// The cases a fixture with `capabilities` can run; pass these to `@Test(arguments:)`.
    public static func cases(supporting capabilities: Capabilities) -> [ConformanceCase] {
        cases.filter { capabilities.isSuperset(of: $0.requirements) }
    }
}

/// What a backend can do beyond the basics, so that the suite runs only the cases it can support.
public struct Capabilities: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: Int

    /// Creates a set from its raw bits.
    public init(rawValue: Int) {
        self.rawValue = rawValue
    }

    /// The store can be closed and opened again on the same storage (``EventStoreFixture/reopen(_:clock:)``).
    public static let durableRestart = Capabilities(rawValue: 1 << 0)
    /// The store reads every time (deliverat, leases, delays, ages, waits) from the ``WallClock`` it is
    /// given, so a ``TestClock`` controls it.
    public static let controllableClock = Capabilities(rawValue: 1 << 1)

    /// The fixture counts the rows a store keeps for a group (``EventStoreFixture/groupRowCount(_:in:)``).
    public static let countsGroupRows = Capabilities(rawValue: 1 << 2)

    public var description: String {
        let names = [
            (Self.durableRestart, "durableRestart"), (Self.controllableClock, "controllableClock"),
            (Self.countsGroupRows, "countsGroupRows"),
        ]
        return "[" + names.filter { contains($0.0) }.map(\.1).joined(separator: ", ") + "]"
    }
}

/// Makes the stores the conformance suite tests: one fixture per case run.
///
/// The suite calls ``makeStore(clock:)`` once per case, possibly ``reopen(_:clock:)``, and always
/// ``tearDown(_:)`` at the end, whether the case passed or not.
public protocol EventStoreFixture: Sendable {
    /// What the backend supports; cases needing more are skipped.
    var capabilities: Capabilities { get }

    /// Makes a new, empty store that reads time from `clock`.
    func makeStore(clock: any WallClock) async throws -> any EventLog & ConsumerGroupStore

    /// Closes `store` and opens the same storage again, as a restart of the process would; only called
    /// when ``capabilities`` contains ``Capabilities/durableRestart``.
    func reopen(
        _ store: any EventLog & ConsumerGroupStore,
        clock: any WallClock
    ) async throws -> any EventLog & ConsumerGroupStore

    /// Closes `store` and removes its storage.
    func tearDown(_ store: any EventLog & ConsumerGroupStore) async throws

    /// How many rows (or entries) `store` keeps for the group's events; only called when ``capabilities``
    /// contains ``Capabilities/countsGroupRows``.
    func groupRowCount(_ group: String, in store: any EventLog & ConsumerGroupStore) async throws -> Int
}

extension EventStoreFixture {
    /// Throws: a fixture without ``Capabilities/durableRestart`` cannot reopen a store.
    public func reopen(
        _ store: any EventLog & ConsumerGroupStore,
        clock: any WallClock
    ) async throws -> any EventLog & ConsumerGroupStore {
        throw ConformanceFailure(
            "\(Self.self) cannot reopen a store; add .durableRestart to its capabilities and implement reopen(_:clock:)"
        )
    }

    /// Throws: a fixture without ``Capabilities/countsGroupRows`` cannot count.
    public func groupRowCount(_ group: String, in store: any EventLog & ConsumerGroupStore) async throws -> Int {
        throw ConformanceFailure(
            "\(Self.self) cannot count a group's rows; add .countsGroupRows to its capabilities and implement "
                + "groupRowCount(_:in:)"
        )
    }

    /// Does nothing: stores that hold no outside resources need no teardown.
    public func tearDown(_ store: any EventLog & ConsumerGroupStore) async throws {}
}

/// One behaviour of the suite, runnable against any fixture.
public struct ConformanceCase: Sendable, CustomStringConvertible {
    /// What the case checks, as a sentence; it names the test argument in test reports.
    public var name: String
    /// The capabilities a fixture needs for the case.
    public var requirements: Capabilities
    /// Runs the case against a fixture; use ``run(_:)``, which skips it when the fixture lacks a
    /// requirement.
    public var body: @Sendable (any EventStoreFixture) async throws -> Void

    /// Creates a case.
    public init(
        name: String,
        requirements: Capabilities = [],
        body: @escaping @Sendable (any EventStoreFixture) async throws -> Void
    ) {
        self.name = name
        self.requirements = requirements
        self.body = body
    }

    /// Runs the case against `fixture`; returns at once, checking nothing, when the fixture lacks one of
    /// ``requirements`` (filter with ``EventStoreConformance/cases(supporting:)`` to leave those out).
    public func run(_ fixture: any EventStoreFixture) async throws {
        guard fixture.capabilities.isSuperset(of: requirements) else { return }
        try await body(fixture)
    }

    public var description: String { name }
}

/// A conformance check that could not go on: what was wrong and what to do.
public struct ConformanceFailure: Error, CustomStringConvertible {
    /// What went wrong.
    public var message: String

    /// Creates a failure.
    public init(_ message: String) {
        self.message = message
    }

    public var description: String { "conformance: \(message)" }
}
