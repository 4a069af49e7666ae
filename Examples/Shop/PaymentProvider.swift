import Foundation
import Herald

/// A simulated payment provider, one instance per order: it declines some payments, never answers some
/// (which the order's timeout deals with), and charges the rest, once. A cancellation refunds a charge that
/// went through, and refuses one that comes later.
public struct PaymentProvider: ProcessManager {
    /// What the provider does with an order's payment.
    public enum Behaviour: String, Codable, Sendable {
        case charge, decline, noAnswer = "no-answer"
    }

    /// One order's payment.
    public struct State: Codable, Sendable {
        public var charges = 0
        public var refunds = 0
        public var cancelled = false
    }

    public let name = "payment"
    public let topic = "shop.payment.>"
    /// Decides each order's behaviour.
    public var behaviour: @Sendable (_ order: String) -> Behaviour

    public init(behaviour: @escaping @Sendable (_ order: String) -> Behaviour) {
        self.behaviour = behaviour
    }

    public func correlationKey(of event: Event) -> String? {
        [ShopEvents.ChargePayment.eventType, ShopEvents.CancelPayment.eventType].contains(event.type)
            ? event.subject : nil
    }

    public func start(with event: Event) throws -> State? { State() }

    public func handle(_ event: Event, state: inout State, actions: inout ProcessActions) throws {
        let order = actions.key
        if event.type == ShopEvents.CancelPayment.eventType {
            state.cancelled = true
            if state.charges > state.refunds { state.refunds += 1 }
            return
        }
        if state.cancelled {
            try actions.publish(ShopEvents.PaymentFailed(order: order, reason: "the order was cancelled"))
            return
        }
        switch behaviour(order) {
        case .noAnswer:
            return
        case .decline:
            try actions.publish(ShopEvents.PaymentFailed(order: order, reason: "card declined"))
        case .charge:
            // A repeated request for a payment already taken confirms it again without charging again.
            if state.charges == 0 { state.charges = 1 }
            try actions.publish(ShopEvents.PaymentSucceeded(order: order))
        }
    }
}
