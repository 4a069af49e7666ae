import Herald

/// The events of the online shop, all under `shop.>`. Every event about an order has the order id as its
/// `subject`.
public enum ShopEvents {
    /// A customer submitted an order: the order process starts.
    public struct OrderSubmitted: EventPayload {
        public static let eventType = "shop.order.submitted"
        public var order: String
        public var product: String
        public var quantity: Int
        /// In cents.
        public var amount: Int
    }

    /// The order process asks the stock keeper to set items aside.
    struct ReserveStock: EventPayload {
        static let eventType = "shop.stock.reserve"
        var order: String
        var product: String
        var quantity: Int
    }

    struct StockReserved: EventPayload {
        static let eventType = "shop.stock.reserved"
        var order: String
    }

    struct StockUnavailable: EventPayload {
        static let eventType = "shop.stock.unavailable"
        var order: String
        var available: Int
    }

    /// Compensation: the order will not ship, so its items go back on the shelf.
    struct ReleaseStock: EventPayload {
        static let eventType = "shop.stock.release"
        var order: String
        var product: String
    }

    struct ChargePayment: EventPayload {
        static let eventType = "shop.payment.charge"
        var order: String
        var amount: Int
    }

    /// Compensation: the order was cancelled; a charge that went through after all is refunded.
    struct CancelPayment: EventPayload {
        static let eventType = "shop.payment.cancel"
        var order: String
    }

    struct PaymentSucceeded: EventPayload {
        static let eventType = "shop.payment.succeeded"
        var order: String
    }

    struct PaymentFailed: EventPayload {
        static let eventType = "shop.payment.failed"
        var order: String
        var reason: String
    }

    /// The order process's own timeout: no answer from the payment provider in time.
    struct PaymentTimedOut: EventPayload {
        static let eventType = "shop.order.payment-timeout"
        var order: String
    }

    struct ShipOrder: EventPayload {
        static let eventType = "shop.shipping.ship"
        var order: String
    }

    struct OrderDispatched: EventPayload {
        static let eventType = "shop.shipping.dispatched"
        var order: String
    }

    /// Order status changes, which the notifier tells the customer about.
    public struct OrderStatusChanged: EventPayload {
        public static let eventType = "shop.order.status"
        public var order: String
        public var status: OrderProcess.Status
        public var reason: String?
    }
}
