/// What a subscription does when an event arrives and its buffer is full.
///
/// Only the subscription that chose the policy is affected: a full buffer never delays or drops events
/// for any other subscription, except that with ``suspend`` the publisher itself waits.
public struct BackpressurePolicy: Sendable, Hashable, CustomStringConvertible {
    enum Kind: Hashable {
        case suspend
        case dropNewest
        case dropOldest
        case fail
    }

    let kind: Kind

    /// The publisher waits until the buffer has room (the default). `publish(_:timeout:)` bounds the wait.
    public static let suspend = BackpressurePolicy(kind: .suspend)
    /// The arriving event is dropped for this subscription and counted; the publisher never waits.
    public static let dropNewest = BackpressurePolicy(kind: .dropNewest)
    /// The oldest event waiting in the buffer is dropped and counted; the publisher never waits.
    public static let dropOldest = BackpressurePolicy(kind: .dropOldest)
    /// The publish throws ``EventBusError`` naming this subscription; the publisher never waits.
    /// Other subscriptions still receive the event.
    public static let fail = BackpressurePolicy(kind: .fail)

    public var description: String {
        switch kind {
        case .suspend: "suspend"
        case .dropNewest: "dropNewest"
        case .dropOldest: "dropOldest"
        case .fail: "fail"
        }
    }
}
