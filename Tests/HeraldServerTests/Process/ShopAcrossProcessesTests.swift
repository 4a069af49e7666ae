import Foundation
import Herald
import HeraldExamples
import HeraldPostgres
import HeraldTesting
import Testing

/// `herald demo shop` in two processes on one PostgreSQL database: they share the consumer groups of the five
/// process managers, so each process handles steps of the other's orders and both compete for the same stock,
/// with duplicate deliveries injected. The saga state they leave must be consistent.
@Suite(.enabled(if: ProcessTestDatabase.isEnabled, "needs PostgreSQL: set HERALD_TEST_POSTGRES_URL"))
struct ShopAcrossProcessesTests {
    @Test(.heavy, .timeLimit(.minutes(10)))
    func twoProcessesRunTheShopOnOneDatabaseAndLeaveItConsistent() async throws {
        let schema = ProcessTestDatabase.uniqueSchema("shop")
        let url = try ProcessTestDatabase.storeURL(schema: schema)
        let ordersEach = 80
        let shared = [
            "demo", "shop", "--store", url, "--orders", "\(ordersEach)", "--products", "3", "--stock", "60",
            "--payment-failure-rate", "0.1", "--payment-timeout-rate", "0.05", "--duplicate-rate", "0.2",
            "--payment-timeout-ms", "5000",
        ]
        // The schema is created by whichever process starts first; both migrate safely at once.
        let nodes = try ["a", "b"].map { run in
            try ServeProcess.run(shared + ["--run-id", run, "--seed", run == "a" ? "11" : "12"])
        }
        for node in nodes {
            let status = try await node.waitForExit(timeout: .seconds(150))
            let errors = try await node.allErrorLines(timeout: .seconds(5))
            #expect(status == 0, "\(errors.suffix(10))")
        }

        let store = try await PostgresEventStore.connect(url: url)
        let audit = try await ShopAudit.audit(
            store, initialStock: ["product-1": 60, "product-2": 60, "product-3": 60])
        let groups = try await store.groups().filter { $0.configuration.name.hasPrefix("process.") }
        try await store.close()
        try await ProcessTestDatabase.dropSchema(schema)
        #expect(audit.violations.isEmpty, "\(audit.violations.prefix(10))")
        #expect(audit.doubleCharges == 0)
        #expect(audit.ordersByStatus.values.reduce(0, +) == 2 * ordersEach)
        #expect(Set(audit.ordersByStatus.keys).isSubset(of: [.shipped, .cancelled]), "\(audit.ordersByStatus)")
        // 160 orders of about 2 items each for 180 items: some orders find no stock, even when a loaded machine
        // makes payments time out and their orders give their items back.
        #expect((audit.cancellations["out of stock"] ?? 0) > 0, "\(audit.cancellations)")
        #expect(audit.stock.values.allSatisfy { $0 >= 0 }, "\(audit.stock)")
        // One group per process manager, shared by both processes; none holds a lease, no step gave up. Every
        // group but the order saga's is drained: only `process.order` receives payment timeouts, and those
        // cancelled by a payment in time still come due after the processes end, to be ignored by the next run.
        #expect(
            groups.map(\.configuration.name).sorted() == [
                "process.courier", "process.notifier", "process.order", "process.payment", "process.stock",
            ])
        #expect(groups.allSatisfy { $0.inFlight == 0 && $0.deadLetters == 0 }, "\(groups)")
        let undrained = groups.filter { $0.configuration.name != "process.order" && $0.lag != 0 }
        #expect(undrained.isEmpty, "groups with events left: \(undrained)")
    }
}
