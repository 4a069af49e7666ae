import Foundation
import Herald
import HeraldExamples
import HeraldSQLite
import Testing

@Suite struct ShopScenarioTests {
    static func configuration(orders: Int, seed: UInt64 = 7) -> ShopScenario.Configuration {
        var configuration = ShopScenario.Configuration()
        configuration.orders = orders
        configuration.seed = seed
        configuration.deadline = .seconds(120)
        return configuration
    }

    /// With stock for everyone, each order's fate is decided by the payment provider alone: declined and
    /// unanswered payments cancel exactly their orders, the rest ship, and duplicate deliveries change nothing.
    @Test func everyOrderEndsOnceAsItsPaymentDecidesDespiteDuplicates() async throws {
        var configuration = Self.configuration(orders: 200)
        configuration.stockPerProduct = 10_000
        configuration.paymentFailureRate = 0.1
        configuration.paymentTimeoutRate = 0.05
        configuration.duplicateRate = 0.3
        // Long enough that no answered payment can lose the race against its timeout on a loaded machine.
        configuration.paymentTimeout = .seconds(5)
        let orders = (1...200).map { "run-\($0)" }
        let declined = orders.filter { configuration.paymentBehaviour($0) == .decline }.count
        let unanswered = orders.filter { configuration.paymentBehaviour($0) == .noAnswer }.count
        #expect(declined > 0 && unanswered > 0, "the seed gives both kinds of failure")

        let report = try await ShopScenario.run(configuration, store: InMemoryEventStore(), print: { _ in })
        let audit = report.audit
        #expect(audit.violations.isEmpty, "\(audit.violations)")
        #expect(audit.doubleCharges == 0)
        #expect(audit.ordersByStatus == [.shipped: 200 - declined - unanswered, .cancelled: declined + unanswered])
        #expect(
            audit.cancellations
                == [
                    "payment failed: card declined": declined, "payment timed out": unanswered,
                ].filter { $0.value > 0 })
    }

    /// Scarce stock: orders compete for the last items; none is sold twice and none is left reserved for a
    /// cancelled order.
    @Test func stockNeverGoesNegativeAndCancelledOrdersReleaseTheirItems() async throws {
        var configuration = Self.configuration(orders: 80)
        configuration.products = 2
        configuration.stockPerProduct = 25
        configuration.paymentFailureRate = 0.2
        configuration.paymentTimeoutRate = 0
        configuration.duplicateRate = 0.2
        // Every payment is answered; a timeout that fired first, on a loaded machine, would cancel orders the
        // provider paid and could leave a product unsold, which is not what this test is about.
        configuration.paymentTimeout = .seconds(600)
        let report = try await ShopScenario.run(configuration, store: InMemoryEventStore(), print: { _ in })
        let audit = report.audit
        #expect(audit.violations.isEmpty, "\(audit.violations)")
        #expect(audit.ordersByStatus.values.reduce(0, +) == 80)
        #expect((audit.cancellations["out of stock"] ?? 0) > 0, "\(audit.cancellations)")
        #expect(audit.cancellations["payment timed out"] == nil, "\(audit.cancellations)")
        #expect(audit.stock.values.allSatisfy { $0 >= 0 && $0 < 25 }, "\(audit.stock)")
        #expect(audit.ordersByStatus[.shipped] ?? 0 > 0)
    }

    @Test func runsOnSQLite() async throws {
        let store = try await SQLiteEventStore.openTemporary()
        var configuration = Self.configuration(orders: 40)
        configuration.duplicateRate = 0.3
        configuration.paymentTimeout = .seconds(5)
        let report = try await ShopScenario.run(configuration, store: store, print: { _ in })
        try await store.close()
        #expect(report.audit.violations.isEmpty, "\(report.audit.violations)")
        #expect(report.audit.ordersByStatus.values.reduce(0, +) == 40)
        #expect(report.events > 40 * 5)
    }

    /// Two consumers of the notifier's unordered group may hand it one order's status changes out of order
    /// (as the two-process shop on PostgreSQL once did), and a failed step comes again after newer ones: the
    /// customer is told only news, and last of all the order's final status.
    @Test func theNotifierTellsOnlyNewsWhenStatusChangesComeOutOfOrder() async throws {
        let store = InMemoryEventStore()
        let runner = ProcessManagerRunner(Notifier(), groups: store, processes: store)
        try await runner.createGroup()
        let statuses = ["reserving", "shipping", "paying", "shipped", "shipping", "cancelled"]
        _ = try await store.append(
            statuses.enumerated().map { index, status in
                Event(
                    id: "status-\(index)", source: "/shop/order", type: "shop.order.status", subject: "o-9",
                    dataContentType: "application/json", data: Data(#"{"order":"o-9","status":"\#(status)"}"#.utf8))
            })
        var handled = 0
        while handled < statuses.count { handled += try await runner.runOnce() }
        try await store.saveProcess(
            "order", key: "o-9",
            document: Data(
                #"{"handled":[],"timeouts":{},"state":{"status":"shipped","product":"p","quantity":1,"amount":1}}"#
                    .utf8),
            isFinished: true, expectedVersion: 0, publishing: [])
        let audit = try await ShopAudit.audit(store, initialStock: [:])
        #expect(!audit.violations.contains { $0.contains("told otherwise") || $0.contains("notified twice") })
    }

    /// The audit is what the tests above rely on: it must see a broken shop.
    @Test func theAuditFindsDoubleChargesOversoldStockAndWrongNotifications() async throws {
        let store = InMemoryEventStore()
        func save(_ process: String, _ key: String, _ json: String, finished: Bool = true) async throws {
            try await store.saveProcess(
                process, key: key, document: Data(#"{"handled":[],"timeouts":{},"state":\#(json)}"#.utf8),
                isFinished: finished, expectedVersion: 0, publishing: [])
        }
        try await save("order", "o-1", #"{"status":"shipped","product":"p","quantity":2,"amount":1}"#)
        try await save("order", "o-2", #"{"status":"cancelled","product":"p","quantity":1,"amount":1,"reason":"x"}"#)
        try await save("payment", "o-1", #"{"charges":2,"refunds":0,"cancelled":false}"#)
        try await save("payment", "o-2", #"{"charges":1,"refunds":0,"cancelled":true}"#)
        try await save("stock", "p", #"{"available":-1,"reserved":{"o-1":2,"o-2":1}}"#, finished: false)
        try await save("notifier", "o-1", #"{"sent":["reserving","shipped","shipped"]}"#)
        try await save("notifier", "o-2", #"{"sent":["reserving"]}"#)
        let audit = try await ShopAudit.audit(store, initialStock: ["p": 3])
        #expect(audit.doubleCharges == 1)
        #expect(audit.violations.contains("order o-1 shipped with 2 net charges"))
        #expect(audit.violations.contains("order o-2 cancelled with 1 net charges"))
        #expect(audit.violations.contains("order o-2 cancelled but its items are still reserved"))
        #expect(audit.violations.contains("order o-2 is cancelled but the customer was told otherwise"))
        #expect(audit.violations.contains { $0.hasPrefix("order o-1 notified twice") })
        #expect(audit.violations.contains("product p has negative stock"))
        #expect(audit.violations.contains("product p: -1 left and 3 sold of 3"))
    }
}
