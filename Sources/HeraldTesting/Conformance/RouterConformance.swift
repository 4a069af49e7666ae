import Herald
import Synchronization

/// The behaviours of a ``Router`` handler on a durable source, as test cases that run against any source:
/// a local store's consumer group, or a remote server's.
///
/// ```swift
/// @Test(arguments: RouterConformance.cases(supporting: fixture.capabilities))
/// func routerConformance(_ testCase: RouterConformanceCase) async throws {
///     try await testCase.run(LocalDeliverySources(SQLiteEventStoreFixture()))
/// }
/// ```
public enum RouterConformance {
    /// Every case, in a stable order.
    public static var cases: [RouterConformanceCase] { RouterConformanceCases.all }

    /// The cases a fixture with `capabilities` can run.
    public static func cases(supporting capabilities: Capabilities) -> [RouterConformanceCase] {
        cases.filter { capabilities.isSuperset(of: $0.requirements) }
    }
}

/// Makes what the router suite consumes: a store that events are appended to and group state is read from,
/// and sources for that store's groups.
public protocol DeliverySourceFixture: Sendable {
    /// What the sources support; cases needing more are left out.
    var capabilities: Capabilities { get }

    /// Calls `body` with a fresh store and its sources, and tears both down afterwards.
    func withSources(_ body: @Sendable (DeliverySourceHarness) async throws -> Void) async throws
}

/// A fresh store and a way to consume its groups, for one case.
public final class DeliverySourceHarness: Sendable {
    private let current: Mutex<any EventLog & ConsumerGroupStore>
    private let makeSource:
        @Sendable (ConsumerGroupConfiguration, any EventLog & ConsumerGroupStore) -> any DeliverySource
    private let reopenStore:
        (@Sendable (any EventLog & ConsumerGroupStore) async throws -> any EventLog & ConsumerGroupStore)?

    /// Creates a harness over `store`.
    ///
    /// - Parameters:
    ///   - source: makes a source for a group of the store; the source creates the group with the
    ///     configuration it is given.
    ///   - reopen: closes the store and opens its storage again, for fixtures with
    ///     ``Capabilities/durableRestart``.
    public init(
        store: any EventLog & ConsumerGroupStore,
        source:
            @escaping @Sendable (ConsumerGroupConfiguration, any EventLog & ConsumerGroupStore) -> any DeliverySource,
        reopen: (@Sendable (any EventLog & ConsumerGroupStore) async throws -> any EventLog & ConsumerGroupStore)? = nil
    ) {
        self.current = Mutex(store)
        self.makeSource = source
        self.reopenStore = reopen
    }

    /// The store: the events' and the group state's, also behind a remote source.
    public var store: any EventLog & ConsumerGroupStore { current.withLock { $0 } }

    /// A source for the group `configuration` names.
    public func source(_ configuration: ConsumerGroupConfiguration) -> any DeliverySource {
        makeSource(configuration, store)
    }

    /// Closes the store and opens it again, as a restart of the process would.
    public func reopen() async throws {
        guard let reopenStore else {
            throw ConformanceFailure(
                "this fixture cannot reopen its store; leave .durableRestart out of its capabilities")
        }
        let reopened = try await reopenStore(store)
        current.withLock { $0 = reopened }
    }
}

/// The sources of a local store's groups (``ConsumerGroupSource``), over the stores an
/// ``EventStoreFixture`` makes.
public struct LocalDeliverySources: DeliverySourceFixture {
    /// The fixture that makes the stores.
    public let fixture: any EventStoreFixture

    /// Creates sources over the stores `fixture` makes.
    public init(_ fixture: any EventStoreFixture) {
        self.fixture = fixture
    }

    public var capabilities: Capabilities { fixture.capabilities }

    public func withSources(_ body: @Sendable (DeliverySourceHarness) async throws -> Void) async throws {
        let fixture = self.fixture
        let clock = SystemWallClock()
        let harness = DeliverySourceHarness(
            store: try await fixture.makeStore(clock: clock),
            source: { configuration, store in ConsumerGroupSource(store: store, configuration: configuration) },
            reopen: { store in try await fixture.reopen(store, clock: clock) })
        do {
            try await body(harness)
        } catch {
            try? await fixture.tearDown(harness.store)
            throw error
        }
        try await fixture.tearDown(harness.store)
    }
}

/// One behaviour of the router suite, runnable against any ``DeliverySourceFixture``.
public struct RouterConformanceCase: Sendable, CustomStringConvertible {
    /// What the case checks, as a sentence.
    public var name: String
    /// The capabilities a fixture needs for the case.
    public var requirements: Capabilities
    let body: @Sendable (DeliverySourceHarness, Capabilities) async throws -> Void

    init(
        _ name: String, requires requirements: Capabilities = [],
        _ body: @escaping @Sendable (DeliverySourceHarness, Capabilities) async throws -> Void
    ) {
        self.name = name
        self.requirements = requirements
        self.body = body
    }

    /// Runs the case against `fixture`; returns at once when the fixture lacks a requirement.
    public func run(_ fixture: any DeliverySourceFixture) async throws {
        guard fixture.capabilities.isSuperset(of: requirements) else { return }
        let capabilities = fixture.capabilities
        try await fixture.withSources { harness in try await body(harness, capabilities) }
    }

    public var description: String { name }
}
