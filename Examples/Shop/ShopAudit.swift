import Herald

/// What the shop's stored state says after a run, checked against the rules a shop lives by: read from the
/// process store, so it covers every node that ran the shop on the same database.
public struct ShopAudit: Sendable, Hashable {
    /// Orders by status; an unfinished order counts under its current status.
    public var ordersByStatus: [OrderProcess.Status: Int] = [:]
    /// Cancelled orders by reason.
    public var cancellations: [String: Int] = [:]
    /// Broken rules, one line each; empty when the shop is consistent.
    public var violations: [String] = []
    /// Orders charged more than once.
    public var doubleCharges = 0
    /// Items left per product.
    public var stock: [String: Int] = [:]

    /// Reads the orders (those whose ids start with `orderPrefix`, or all), products, payments and notifications
    /// in `store` and checks them.
    ///
    /// Check when the shop is quiet: while events are in flight, a cancelled order's stock may not be released
    /// yet.
    public static func audit(_ store: any ProcessStore, initialStock: [String: Int], orderPrefix: String? = nil)
        async throws -> ShopAudit
    {
        var audit = ShopAudit()
        let orders = try await states(OrderProcess.State.self, of: "order", in: store)
            .filter { orderPrefix.map($0.key.hasPrefix) ?? true }
        let products = try await states(StockKeeper.State.self, of: "stock", in: store)
        let payments = try await states(PaymentProvider.State.self, of: "payment", in: store)
        let notifications = try await states(Notifier.State.self, of: "notifier", in: store)
        for (id, order) in orders {
            audit.ordersByStatus[order.status, default: 0] += 1
            if order.status == .cancelled { audit.cancellations[order.reason ?? "?", default: 0] += 1 }
            let payment = payments[id]
            if (payment?.charges ?? 0) > 1 { audit.doubleCharges += 1 }
            let net = (payment?.charges ?? 0) - (payment?.refunds ?? 0)
            switch order.status {
            case .shipped where net != 1: audit.violations.append("order \(id) shipped with \(net) net charges")
            case .cancelled where net != 0: audit.violations.append("order \(id) cancelled with \(net) net charges")
            default: break
            }
            let reserved = products[order.product]?.reserved[id]
            if order.status == .shipped, reserved != order.quantity {
                audit.violations.append("order \(id) shipped without its \(order.quantity) items reserved")
            }
            if order.status == .cancelled, reserved != nil {
                audit.violations.append("order \(id) cancelled but its items are still reserved")
            }
            if [.shipped, .cancelled].contains(order.status), notifications[id]?.sent.last != order.status {
                audit.violations.append("order \(id) is \(order.status) but the customer was told otherwise")
            }
            if let sent = notifications[id]?.sent, Set(sent).count != sent.count {
                audit.violations.append("order \(id) notified twice of one status: \(sent)")
            }
        }
        for (product, state) in products {
            audit.stock[product] = state.available
            let reserved = state.reserved.values.reduce(0, +)
            if state.available < 0 { audit.violations.append("product \(product) has negative stock") }
            if state.available + reserved != initialStock[product] ?? 0 {
                audit.violations.append(
                    "product \(product): \(state.available) left and \(reserved) sold of \(initialStock[product] ?? 0)")
            }
        }
        return audit
    }

    /// Every instance of `process`, decoded, by key.
    static func states<State: Codable & Sendable>(_ type: State.Type, of process: String, in store: any ProcessStore)
        async throws -> [String: State]
    {
        var states: [String: State] = [:]
        var after: String?
        while true {
            let page = try await store.processRecords(process, after: after, limit: 1_000)
            for record in page { states[record.key] = try record.state(as: State.self) }
            guard page.count == 1_000 else { return states }
            after = page.last?.key
        }
    }
}
