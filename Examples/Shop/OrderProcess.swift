import Herald

/// The order saga: reserve stock, take payment, ship; on failure, undo what was done.
///
/// ```
/// submitted ──reserve──▶ reserving ──reserved──▶ paying ──paid──▶ shipping ──dispatched──▶ shipped
///                            │ unavailable          │ failed / timed out
///                            ▼                      ▼ release stock, cancel payment
///                        cancelled              cancelled
/// ```
///
/// Every status change is published as ``ShopEvents/OrderStatusChanged`` for the notifier. The payment step
/// has a timeout: a provider that never answers cancels the order, and the payment is cancelled too, so a
/// charge that arrives late is refunded.
public struct OrderProcess: ProcessManager {
    /// Where an order is.
    public enum Status: String, Codable, Sendable, CaseIterable {
        case reserving, paying, shipping, shipped, cancelled
    }

    /// One order's state.
    public struct State: Codable, Sendable {
        public var status: Status
        public var product: String
        public var quantity: Int
        public var amount: Int
        /// Why the order was cancelled.
        public var reason: String?
    }

    public let name = "order"
    public let topic = "shop.>"
    /// How long the order waits for the payment provider.
    public var paymentTimeout: Duration

    public init(paymentTimeout: Duration) {
        self.paymentTimeout = paymentTimeout
    }

    static let handled: Set<String> = [
        ShopEvents.OrderSubmitted.eventType, ShopEvents.StockReserved.eventType,
        ShopEvents.StockUnavailable.eventType, ShopEvents.PaymentSucceeded.eventType,
        ShopEvents.PaymentFailed.eventType, ShopEvents.OrderDispatched.eventType,
    ]

    public func correlationKey(of event: Event) -> String? {
        Self.handled.contains(event.type) ? event.subject : nil
    }

    public func start(with event: Event) throws -> State? {
        guard event.type == ShopEvents.OrderSubmitted.eventType else { return nil }
        let order = try event.decode(ShopEvents.OrderSubmitted.self)
        return State(status: .reserving, product: order.product, quantity: order.quantity, amount: order.amount)
    }

    public func handle(_ event: Event, state: inout State, actions: inout ProcessActions) throws {
        let order = actions.key
        switch (state.status, event.type) {
        case (.reserving, ShopEvents.OrderSubmitted.eventType):
            try actions.publish(ShopEvents.ReserveStock(order: order, product: state.product, quantity: state.quantity))
            try changeStatus(.reserving, &state, &actions)
        case (.reserving, ShopEvents.StockReserved.eventType):
            try actions.publish(ShopEvents.ChargePayment(order: order, amount: state.amount))
            try actions.requestTimeout("payment", after: paymentTimeout, ShopEvents.PaymentTimedOut(order: order))
            try changeStatus(.paying, &state, &actions)
        case (.reserving, ShopEvents.StockUnavailable.eventType):
            try cancel("out of stock", &state, &actions)
        case (.paying, ShopEvents.PaymentSucceeded.eventType):
            actions.cancelTimeout("payment")
            try actions.publish(ShopEvents.ShipOrder(order: order))
            try changeStatus(.shipping, &state, &actions)
        case (.paying, ShopEvents.PaymentFailed.eventType):
            try cancel("payment failed: \(try event.decode(ShopEvents.PaymentFailed.self).reason)", &state, &actions)
        case (.paying, ShopEvents.PaymentTimedOut.eventType):
            try actions.publish(ShopEvents.CancelPayment(order: order))
            try cancel("payment timed out", &state, &actions)
        case (.shipping, ShopEvents.OrderDispatched.eventType):
            try changeStatus(.shipped, &state, &actions)
            actions.finish()
        default:
            break  // A late or repeated answer for a step the order has left: nothing to do.
        }
    }

    private func cancel(_ reason: String, _ state: inout State, _ actions: inout ProcessActions) throws {
        if state.status == .paying {
            actions.cancelTimeout("payment")
            try actions.publish(ShopEvents.ReleaseStock(order: actions.key, product: state.product))
        }
        state.reason = reason
        try changeStatus(.cancelled, &state, &actions)
        actions.finish()
    }

    private func changeStatus(_ status: Status, _ state: inout State, _ actions: inout ProcessActions) throws {
        state.status = status
        try actions.publish(ShopEvents.OrderStatusChanged(order: actions.key, status: status, reason: state.reason))
    }
}
