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
        let status = try event.decode(ShopEvents.OrderStatusChanged.self).status
        // An order's status changes may come out of order: the notifier's group is not ordered, so two
        // consumers may hold consecutive changes at once, and a failed step comes again after newer ones. A
        // customer is told only news: nothing after a final status, and no step back.
        if let last = state.sent.last, !Self.isNews(status, after: last) { return }
        state.sent.append(status)
    }

    /// Whether `status` tells a customer who was last told `last` something new: an order moves from
    /// reserving to paying to shipping, and ends shipped or cancelled.
    static func isNews(_ status: OrderProcess.Status, after last: OrderProcess.Status) -> Bool {
        let rank: [OrderProcess.Status: Int] = [.reserving: 0, .paying: 1, .shipping: 2, .shipped: 3, .cancelled: 3]
        guard last != .shipped, last != .cancelled else { return false }
        return rank[status, default: 0] > rank[last, default: 0]
    }
}
