import Herald

/// Ships paid orders: one instance per order, finished once dispatched.
public struct Courier: ProcessManager {
    /// One shipment.
    public struct State: Codable, Sendable {}

    public let name = "courier"
    public let topic = "shop.shipping.ship"

    public init() {}

    public func correlationKey(of event: Event) -> String? { event.subject }

    public func start(with event: Event) throws -> State? { State() }

    public func handle(_ event: Event, state: inout State, actions: inout ProcessActions) throws {
        try actions.publish(ShopEvents.OrderDispatched(order: actions.key))
        actions.finish()
    }
}
