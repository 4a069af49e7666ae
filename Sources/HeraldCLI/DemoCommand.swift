import ArgumentParser
import Foundation
import HeraldExamples

/// `herald demo NAME`: runs one of the scenarios Herald was created from.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a scenario in the terminal.",
        subcommands: [Observers.self, Shop.self, Sensors.self, Signup.self]
    )

    /// `herald demo observers`.
    struct Observers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Observers register on a topic, count events, and one unregisters."
        )

        @Option(help: "Events published in each round.")
        var events = 5

        func validate() throws {
            guard events >= 1 else { throw ValidationError("--events must be at least 1, got \(events)") }
        }

        func run() async throws {
            _ = try await ObserverScenario.run(eventsPerRound: events)
        }
    }

    /// `herald demo shop`.
    struct Shop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "An online shop: an order saga reserves stock, takes payment and ships, and compensates.",
            discussion: """
                Runs five process managers (order saga, stock, payment provider, courier, notifier) on the store \
                until every order has finished, then audits stock, payments and notifications. Payments are \
                declined, never answered and delivered twice at the given rates. Run it in several terminals \
                against one PostgreSQL database (--store postgres://...), each with its own --run-id, to share the \
                work between processes; `herald serve` on the same database shows it live on the dashboard.
                """
        )

        @Option(help: "How many orders to submit.")
        var orders = 1_000

        @Option(help: "How many products the shop sells.")
        var products = 5

        @Option(help: "Items of each product in stock at the start. (default: enough for about 9 in 10 orders)")
        var stock: Int?

        @Option(help: "The share of payments declined, 0 to 1.")
        var paymentFailureRate = 0.05

        @Option(help: "The share of payments never answered, which the order's timeout cancels, 0 to 1.")
        var paymentTimeoutRate = 0.02

        @Option(help: "The share of events delivered twice, 0 to 1.")
        var duplicateRate = 0.1

        @Option(help: "How long an order waits for the payment provider, in milliseconds.")
        var paymentTimeoutMs = 3_000

        @Option(help: "Seeds the simulation, so that a run can be repeated.")
        var seed: UInt64 = 1

        @Option(help: "Prefix of this run's order ids; give each process sharing a database its own.")
        var runId = "run"

        @Option(
            help:
                "Where to run: sqlite:PATH, memory, or postgres://USER@HOST:PORT/DATABASE. (default: a new temporary SQLite file)"
        )
        var store: String?

        func validate() throws {
            guard orders >= 1 else { throw ValidationError("--orders must be at least 1, got \(orders)") }
            guard (1...1_000).contains(products) else {
                throw ValidationError("--products must be between 1 and 1000, got \(products)")
            }
            if let stock, stock < 0 { throw ValidationError("--stock cannot be negative, got \(stock)") }
            for (name, rate) in [
                ("--payment-failure-rate", paymentFailureRate), ("--payment-timeout-rate", paymentTimeoutRate),
                ("--duplicate-rate", duplicateRate),
            ] where !(0...1).contains(rate) {
                throw ValidationError("\(name) must be between 0 and 1, got \(rate)")
            }
            guard paymentFailureRate + paymentTimeoutRate <= 1 else {
                throw ValidationError("--payment-failure-rate and --payment-timeout-rate add up to more than 1")
            }
            guard paymentTimeoutMs >= 1 else {
                throw ValidationError("--payment-timeout-ms must be at least 1, got \(paymentTimeoutMs)")
            }
            guard !runId.isEmpty, runId.utf8.count <= 100, !runId.contains(where: \.isWhitespace) else {
                throw ValidationError("--run-id must be 1 to 100 characters without spaces, got '\(runId)'")
            }
            if let store { _ = try StoreLocation(store) }
        }

        func run() async throws {
            var configuration = ShopScenario.Configuration()
            configuration.orders = orders
            configuration.products = products
            configuration.stockPerProduct = stock
            configuration.paymentFailureRate = paymentFailureRate
            configuration.paymentTimeoutRate = paymentTimeoutRate
            configuration.duplicateRate = duplicateRate
            configuration.paymentTimeout = .milliseconds(paymentTimeoutMs)
            configuration.seed = seed
            configuration.runID = runId
            let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("herald-shop-\(UUID()).db")
            let location = try StoreLocation(store ?? "sqlite:\(temporary.path)")
            let (store, close) = try await location.open()
            let report: ShopScenario.Report
            do {
                report = try await ShopScenario.run(configuration, store: store)
            } catch {
                try? await close()
                throw error
            }
            try await close()
            if self.store == nil {
                for suffix in ["", "-wal", "-shm"] {
                    try? FileManager.default.removeItem(atPath: temporary.path + suffix)
                }
            }
            if !report.audit.violations.isEmpty {
                Output.error(
                    "error: the shop is inconsistent: " + report.audit.violations.prefix(5).joined(separator: "; "))
                throw ExitCode.failure
            }
        }
    }
}
