import Herald

/// Keeps the stock of each product: one process instance per product, so that two orders for the last item
/// cannot both get it, even on two nodes (the second save meets a version conflict and is redone).
public struct StockKeeper: ProcessManager {
    /// One product's stock.
    public struct State: Codable, Sendable {
        public var available: Int
        /// Items set aside, by order.
        public var reserved: [String: Int] = [:]
    }

    public let name = "stock"
    public let topic = "shop.stock.>"
    /// The stock each product starts with.
    public var initialStock: [String: Int]

    public init(initialStock: [String: Int]) {
        self.initialStock = initialStock
    }

    public func correlationKey(of event: Event) -> String? {
        switch event.type {
        case ShopEvents.ReserveStock.eventType: try? event.decode(ShopEvents.ReserveStock.self).product
        case ShopEvents.ReleaseStock.eventType: try? event.decode(ShopEvents.ReleaseStock.self).product
        default: nil
        }
    }

    public func start(with event: Event) throws -> State? {
        correlationKey(of: event).map { State(available: initialStock[$0] ?? 0) }
    }

    public func handle(_ event: Event, state: inout State, actions: inout ProcessActions) throws {
        if event.type == ShopEvents.ReleaseStock.eventType {
            let release = try event.decode(ShopEvents.ReleaseStock.self)
            state.available += state.reserved.removeValue(forKey: release.order) ?? 0
            return
        }
        let request = try event.decode(ShopEvents.ReserveStock.self)
        guard state.reserved[request.order] == nil else { return }
        if request.quantity <= state.available {
            state.available -= request.quantity
            state.reserved[request.order] = request.quantity
            try actions.publish(ShopEvents.StockReserved(order: request.order), subject: request.order)
        } else {
            try actions.publish(
                ShopEvents.StockUnavailable(order: request.order, available: state.available), subject: request.order)
        }
    }
}
