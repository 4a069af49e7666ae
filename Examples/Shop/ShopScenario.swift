import Foundation
import Herald
import Logging
import Synchronization

/// The online shop: orders flow through an order saga (``OrderProcess``) that reserves stock
/// (``StockKeeper``), takes payment (``PaymentProvider``) and ships (``Courier``), while a ``Notifier`` tells
/// customers about each status change. Start reading at `OrderProcess.swift`.
///
/// ``run(_:store:print:)`` submits orders, runs the five process managers on `store` until every order it
/// submitted has finished, and audits what the store holds. Payments fail, never get an answer, or get
/// delivered twice at the configured rates; the audit shows that nothing is lost, charged twice or oversold.
/// Several processes may run it at once on one PostgreSQL database, each with its own `runID`.
public enum ShopScenario {
    /// What to simulate.
    public struct Configuration: Sendable {
        /// How many orders to submit.
        public var orders = 1_000
        /// Order ids start with this, so that several runs can share a database.
        public var runID = "run"
        /// How many products the shop sells; each order is for 1 to 3 items of one.
        public var products = 5
        /// Items of each product in stock at the start; by default about nine in ten orders find stock.
        public var stockPerProduct: Int?
        /// The share of payments the provider declines.
        public var paymentFailureRate = 0.05
        /// The share of payments the provider never answers: the order's timeout cancels them.
        public var paymentTimeoutRate = 0.02
        /// The share of acknowledged events delivered again, as a lost acknowledgement would.
        public var duplicateRate = 0.1
        /// How long an order waits for the payment provider.
        public var paymentTimeout: Duration = .seconds(3)
        /// Seeds the choices, so that a run can be repeated.
        public var seed: UInt64 = 1
        /// How long to wait for every order to finish before giving up.
        public var deadline: Duration = .seconds(600)

        /// Creates the default configuration.
        public init() {}

        /// The stock each product starts with.
        public var initialStock: [String: Int] {
            let stock = stockPerProduct ?? max(1, orders * 2 * 9 / 10 / max(1, products))
            return Dictionary(uniqueKeysWithValues: (1...max(1, products)).map { ("product-\($0)", stock) })
        }

        /// What the payment provider does with `order`: the same for the same order and seed.
        public func paymentBehaviour(_ order: String) -> PaymentProvider.Behaviour {
            var random = SplitMix64(
                seed: seed ^ UInt64(truncatingIfNeeded: order.utf8.reduce(5381) { $0 &* 33 &+ Int($1) }))
            let draw = random.nextUnit()
            if draw < paymentTimeoutRate { return .noAnswer }
            if draw < paymentTimeoutRate + paymentFailureRate { return .decline }
            return .charge
        }
    }

    /// Runs the shop on `store` and returns the audit; see ``ShopScenario``.
    ///
    /// - Throws: ``ProcessManagerError`` when the orders do not all finish within the deadline; what the store
    ///   throws.
    public static func run(
        _ configuration: Configuration,
        store: any EventLog & ConsumerGroupStore & ProcessStore,
        clock: any WallClock = SystemWallClock(),
        print: @Sendable (String) -> Void = { Swift.print($0) }
    ) async throws -> Report {
        let groups = DuplicateDeliveries(store, rate: configuration.duplicateRate, seed: configuration.seed)
        let logger = {
            var logger = Logger(label: "herald.demo.shop")
            logger.logLevel = .error
            return logger
        }()
        let settings = {
            var settings = ProcessManagerRunnerConfiguration()
            settings.pollWait = .milliseconds(100)
            settings.ackTimeout = .seconds(10)
            settings.maxAttempts = 20
            return settings
        }()
        let stopping = Atomic(false)
        func loop<Manager: ProcessManager>(_ manager: Manager) -> @Sendable () async throws -> Void {
            let runner = ProcessManagerRunner(
                manager, groups: groups, processes: store, clock: clock, configuration: settings, logger: logger)
            return {
                try await runner.createGroup()
                // Each loop ends after settling its last poll, so that no lease is left for other nodes to wait out.
                while !stopping.load(ordering: .relaxed) {
                    do {
                        try await runner.runOnce(wait: settings.pollWait)
                    } catch is CancellationError {
                        return
                    } catch {
                        // The store failed (a database restarting): the events come back; try again shortly.
                        logger.error("\(manager.name): \(error)")
                        try await Task.sleep(for: .milliseconds(200))
                    }
                }
            }
        }
        let loops = [
            loop(OrderProcess(paymentTimeout: configuration.paymentTimeout)),
            loop(StockKeeper(initialStock: configuration.initialStock)),
            loop(PaymentProvider(behaviour: configuration.paymentBehaviour)),
            loop(Courier()), loop(Notifier()),
        ]
        let firstSequence = try await store.lastSequence()
        let started = ContinuousClock.now
        print("submitting \(configuration.orders) orders for \(configuration.products) products")
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for loop in loops { tasks.addTask { try await loop() } }
            try await submitOrders(configuration, to: store)
            try await waitForOrders(configuration, in: store, print: print)
            stopping.store(true, ordering: .relaxed)
            try await tasks.waitForAll()
        }
        let duration = ContinuousClock.now - started
        let report = Report(
            audit: try await ShopAudit.audit(
                store, initialStock: configuration.initialStock, orderPrefix: "\(configuration.runID)-"),
            duration: duration,
            events: try await store.lastSequence() - firstSequence)
        printSummary(report, print: print)
        return report
    }

    static func submitOrders(_ configuration: Configuration, to store: any EventLog) async throws {
        var random = SplitMix64(seed: configuration.seed)
        var batch: [Event] = []
        for number in 1...max(1, configuration.orders) where configuration.orders > 0 {
            let order = "\(configuration.runID)-\(number)"
            let product = "product-\(Int(random.next() % UInt64(max(1, configuration.products))) + 1)"
            let quantity = Int(random.next() % 3) + 1
            let submitted = ShopEvents.OrderSubmitted(
                order: order, product: product, quantity: quantity, amount: quantity * 1_999)
            batch.append(try Event(submitted, source: "/shop/checkout", id: "submit-\(order)", subject: order))
            if batch.count == 100 || number == configuration.orders {
                _ = try await store.append(batch)
                batch = []
            }
        }
    }

    /// Waits until every order of this run has finished and the process managers have nothing left to do (a
    /// cancelled order's stock release may still be on its way), checking the store every 50 ms.
    static func waitForOrders(
        _ configuration: Configuration, in store: any ProcessStore & ConsumerGroupStore, print: (String) -> Void
    ) async throws {
        let deadline = ContinuousClock.now + configuration.deadline
        var reported = ContinuousClock.now
        while true {
            let finished: Int
            do {
                finished = try await finishedOrders(configuration.runID, in: store)
                if finished >= configuration.orders, try await isQuiet(store) { return }
            } catch let error as EventLogError where error.code == .unavailable && ContinuousClock.now < deadline {
                // The database is restarting or overloaded: the shop's state is safe in it; look again.
                print("waiting for the store: \(error.message)")
                try await Task.sleep(for: .milliseconds(500))
                continue
            }
            if ContinuousClock.now > deadline {
                throw ProcessManagerError(
                    "\(configuration.orders - finished) of \(configuration.orders) orders did not finish within "
                        + "\(configuration.deadline); see the consumer groups' dead letters (herald groups list)")
            }
            if ContinuousClock.now - reported > .seconds(2) {
                print("\(finished) of \(configuration.orders) orders finished")
                reported = .now
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// How many orders of run `runID` have finished.
    static func finishedOrders(_ runID: String, in store: any ProcessStore) async throws -> Int {
        var finished = 0
        var after = "\(runID)-"
        while true {
            let page = try await store.processRecords("order", after: after, limit: 1_000)
            let ours = page.prefix { $0.key.hasPrefix("\(runID)-") }
            finished += ours.filter(\.isFinished).count
            guard ours.count == 1_000, let last = ours.last?.key else { return finished }
            after = last
        }
    }

    /// Whether every process manager's consumer group has nothing waiting or in flight.
    static func isQuiet(_ store: any ConsumerGroupStore) async throws -> Bool {
        for name in ["order", "stock", "payment", "courier", "notifier"] {
            guard let info = try await store.groupInfo(named: "process.\(name)") else { return false }
            if info.lag > 0 || info.inFlight > 0 { return false }
        }
        return true
    }
}
