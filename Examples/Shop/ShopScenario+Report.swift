import Foundation
import Herald

extension ShopScenario {
    /// How a run went.
    public struct Report: Sendable {
        /// The audit of this run's orders, and of the stock of the whole store, after the run.
        public var audit: ShopAudit
        /// How long the run took, from the first order to the last finished one.
        public var duration: Duration
        /// Events stored during the run, by this and any other node.
        public var events: Int64
        /// Events stored per second during the run.
        public var eventsPerSecond: Double {
            events == 0 ? 0 : Double(events) / max(duration.timeInterval, 0.001)
        }
    }

    /// Prints the run's outcome: orders by final state, stock, charges, the audit's verdict and the speed.
    static func printSummary(_ report: Report, print: (String) -> Void) {
        let audit = report.audit
        print("orders by final state:")
        for status in OrderProcess.Status.allCases {
            guard let count = audit.ordersByStatus[status] else { continue }
            print("  \(status.rawValue): \(count)")
        }
        for (reason, count) in audit.cancellations.sorted(by: { $0.key < $1.key }) {
            print("    cancelled, \(reason): \(count)")
        }
        print(
            "stock left: "
                + audit.stock.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        print("orders charged twice: \(audit.doubleCharges)")
        print(
            audit.violations.isEmpty
                ? "consistent: stock, payments and notifications agree with every order" : "INCONSISTENT:")
        for violation in audit.violations.prefix(20) { print("  \(violation)") }
        print(
            String(
                format: "%.1f s, %lld events, %.0f events/s", report.duration.timeInterval, report.events,
                report.eventsPerSecond))
    }
}
