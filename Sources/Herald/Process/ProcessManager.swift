import Foundation

/// A long-running process (a saga) that reacts to events, keeps state per correlation key, publishes events,
/// waits with timeouts and compensates when a step fails.
///
/// Write the process as a value: which events it reads (``topic``), which instance an event belongs to
/// (``correlationKey(of:)``), which events start an instance (``start(with:)``), and what each event does to
/// the state (``handle(_:state:actions:)``). A ``ProcessManagerRunner`` feeds it from a durable consumer group
/// and stores the state with optimistic concurrency, so several nodes can run the same manager on one database
/// without corrupting an instance, and a redelivered event is handled once.
///
/// ```swift
/// struct OrderProcess: ProcessManager {
///     struct State: Codable, Sendable { var status = "reserving" }
///     let name = "order"
///     let topic = "shop.>"
///     func correlationKey(of event: Event) -> String? { event.subject }
///     func start(with event: Event) -> State? { event.type == "shop.order.submitted" ? State() : nil }
///     func handle(_ event: Event, state: inout State, actions: inout ProcessActions) throws {
///         switch event.type {
///         case "shop.order.submitted": try actions.publish(ReserveStock(order: actions.key))
///         case "shop.stock.reserved":
///             state.status = "paying"
///             try actions.requestTimeout("payment", after: .seconds(30), PaymentTimedOut(order: actions.key))
///         // ...
///         default: break
///         }
///     }
/// }
/// ```
///
/// `handle` must be deterministic given the state and the event, and must not have side effects of its own:
/// it may run more than once for an event when two nodes race (the loser's run is discarded and repeated on
/// the new state). Put effects in the events it publishes, and handle those in other consumers.
public protocol ProcessManager: Sendable {
    /// The state of one instance, stored as JSON between events.
    associatedtype State: Codable & Sendable

    /// The manager's name: it names its stored instances and its consumer group (`process.NAME`). Use 1 to 100
    /// letters, digits, `-`, `_` or `.`, and keep it stable across releases.
    var name: String { get }

    /// The events the manager reads, as a topic pattern such as `shop.>`. Its timeouts must have types within
    /// it too.
    var topic: String { get }

    /// The instance `event` belongs to, such as an order id; `nil` for events the manager ignores.
    func correlationKey(of event: Event) -> String?

    /// The state of a new instance that `event` starts, or `nil` when `event` does not start one: then it is
    /// ignored while its instance does not exist.
    func start(with event: Event) throws -> State?

    /// Applies `event` to the instance's `state`, recording what to publish, schedule or cancel in `actions`.
    ///
    /// Throwing fails the step: nothing is saved or published, and the event is redelivered later (and dead
    /// lettered by the consumer group after its attempts run out).
    func handle(_ event: Event, state: inout State, actions: inout ProcessActions) throws
}
