import Foundation
import Herald

/// Foundation's NotificationCenter: one observer block per subscriber, the event in `userInfo`,
/// delivered synchronously on the posting thread.
///
/// `@unchecked Sendable` is safe: NotificationCenter is documented as thread-safe, and `observers` is
/// an immutable array that is only read after `init` returns.
struct NotificationCenterTarget: BusTarget, @unchecked Sendable {
    static let name = "notificationcenter"
    let center: NotificationCenter
    let observers: [any NSObjectProtocol]

    static func supports(_ scenario: BusScenario) -> Bool { scenario.concurrency == 1 }

    init(scenario: BusScenario, handler: @escaping @Sendable (Event) -> Void) async throws {
        let center = NotificationCenter()
        observers = scenario.subscriberTopics.map { topic in
            center.addObserver(forName: Notification.Name(topic), object: nil, queue: nil) { notification in
                if let event = notification.userInfo?["event"] as? Event { handler(event) }
            }
        }
        self.center = center
    }

    func publish(_ event: Event) async throws {
        center.post(name: Notification.Name(event.type), object: nil, userInfo: ["event": event])
    }

    func finish() async throws {
        for observer in observers { center.removeObserver(observer) }
    }
}
