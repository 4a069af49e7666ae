import Herald

/// Tells customers about their orders: records each status change of an order, once.
public struct Notifier: ProcessManager {
    /// The notifications sent for one order, in order.
    public struct State: Codable, Sendable {
        public var sent: [OrderProcess.Status] = []
    }

    public let name = "notifier"
    public let topic = "shop.order.status"

    public init() {}

    public func correlationKey(of event: Event) -> String? { event.subject }

    public func start(with event: Event) throws -> State? { State() }

    public func handle(_ event: Event, state: inout State, actions: inout ProcessActions) throws {
        state.sent.append(try event.decode(ShopEvents.OrderStatusChanged.self).status)
    }
}
