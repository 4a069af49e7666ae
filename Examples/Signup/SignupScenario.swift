import Foundation
import Herald
import HeraldClient
import HeraldSQLite
import Synchronization

/// The sign-up demo (`herald demo signup`): a timer brings in registrations, each user is inserted and
/// announced in one transaction, and a notifier welcomes each user exactly once.
///
/// Read it in this order:
/// 1. A ``Scheduler`` fires the schedule ``scheduleName`` every ``Configuration/interval``; each firing
///    is a `signup.form.tick` event, on which the simulated ``SignupForm`` publishes a
///    `user.registration.requested` (``RegistrationRequested``). Some applicants reuse an earlier email.
/// 2. ``RegistrationHandler`` inserts the user into `users` and, in the same SQLite transaction through
///    the outbox (``SQLiteEventStore/transaction(_:)``), publishes `user.registered`; a taken email fails
///    the table's unique constraint and publishes `user.registration.rejected` with the reason instead.
/// 3. ``WelcomeNotifier`` records a row in `notifications` and publishes `user.notified`, once per user.
/// 4. At the end the two tables are printed and compared: one notification per user.
///
/// Every handler is a durable subscription of a ``PersistentEventBus`` over the same store, so a
/// restart loses nothing. The tables and the outbox live in the embedded store's file, since only a
/// transaction on that file can write both; with a server, every `user.*` event is also forwarded to it.
public enum SignupScenario {
    /// What the demo simulates.
    public struct Configuration: Sendable {
        /// How many registrations come in.
        public var users = 20
        /// How often the timer fires.
        public var interval = Duration.milliseconds(250)
        /// The share of registrations, 0 to 1, that reuse an earlier email.
        public var duplicateRate = 0.2

        /// Creates the default configuration: 20 registrations, one every 250 ms, a fifth of them duplicates.
        public init() {}
    }

    /// What the demo ends with.
    public struct Report: Sendable {
        /// The registrations requested, in order.
        public var requests: [RegistrationRequested] = []
        /// The rejections published, in order.
        public var rejections: [RegistrationRejected] = []
        /// The `users` table.
        public var users: [SignupDatabase.User] = []
        /// The `notifications` table.
        public var notifications: [SignupDatabase.Notification] = []

        /// Whether every user has exactly one notification, to the user's email, and every notification a user.
        public var tablesAgree: Bool {
            users.map { [String($0.id), $0.email] } == notifications.map { [String($0.userID), $0.email] }
        }
    }

    /// The name of the timer's schedule.
    public static let scheduleName = "signup-form"

    /// Runs the demo on `store`, firing the timer on `clock`, forwarding events to `server` when given, and
    /// printing each step with `print`.
    public static func run(
        _ configuration: Configuration,
        store: SQLiteEventStore,
        clock: any WallClock = SystemWallClock(),
        server: HeraldClient? = nil,
        print: @escaping @Sendable (String) -> Void = { Swift.print($0) }
    ) async throws -> Report {
        let database = try await SignupDatabase(store: store)
        let after = try await store.lastSequence()
        let earlier = try await store.eventTypes().first { $0.type == RegistrationRequested.eventType }?.count ?? 0
        let form = SignupForm(duplicateRate: configuration.duplicateRate)
        let bus = PersistentEventBus(store: store)
        let requested = Mutex(0)
        try await bus.subscribe("signup.form.tick", name: "signup-form") { _ in
            let number = requested.withLock { $0 } + 1
            guard number <= configuration.users else { return }
            let applicant = earlier + number
            try await bus.publish(
                try Event(form.applicant(applicant), source: "/signup/form", id: "request-\(applicant)"))
            requested.withLock { $0 = number }
        }
        let registrar = RegistrationHandler(database: database)
        try await bus.subscribe(RegistrationRequested.eventType, name: "signup-registrar") {
            try await registrar.handle($0)
        }
        let notifier = WelcomeNotifier(database: database)
        try await bus.subscribe(UserRegistered.eventType, name: "signup-notifier") { try await notifier.handle($0) }

        let timer = Schedule(
            name: scheduleName, trigger: .interval(configuration.interval, anchor: clock.now),
            event: EventTemplate(type: "signup.form.tick", source: "/signup/timer"))
        _ = try await store.saveSchedule(timer)
        let scheduler = Scheduler(store: store, clock: clock)
        let schedulerTask = Task { try await scheduler.run() }
        print("a registration every \(configuration.interval), \(configuration.users) in all")

        var report = Report()
        var registered = 0
        var notified = 0
        _ = try await store.follow(after: after, filter: EventFilter(topic: try TopicPattern("user.>"))).first {
            stored in
            let event = stored.event
            if let server { _ = try await server.publish(event) }
            switch event.type {
            case RegistrationRequested.eventType:
                let request = try event.decode(RegistrationRequested.self)
                report.requests.append(request)
                if report.requests.count == configuration.users { schedulerTask.cancel() }
                print("requested   \(request.email)")
            case UserRegistered.eventType:
                registered += 1
                print("registered  \(try event.decode(UserRegistered.self).email)")
            case RegistrationRejected.eventType:
                let rejection = try event.decode(RegistrationRejected.self)
                report.rejections.append(rejection)
                print("rejected    \(rejection.email): \(rejection.reason)")
            case UserNotified.eventType:
                notified += 1
                print("notified    \(try event.decode(UserNotified.self).email)")
            default:
                break
            }
            return registered + report.rejections.count == configuration.users && notified == registered
        }
        schedulerTask.cancel()
        _ = try? await schedulerTask.value
        await bus.shutdown()
        _ = try await store.deleteSchedule(named: scheduleName)

        report.users = try await database.users()
        report.notifications = try await database.notifications()
        print("users (id, email, name):")
        for user in report.users { print("  \(user.id)  \(user.email)  \(user.name)") }
        print("notifications (user id, email, answering):")
        for notification in report.notifications {
            print("  \(notification.userID)  \(notification.email)  \(notification.eventID)")
        }
        print(
            "\(report.requests.count) requests: \(registered) registered, \(report.rejections.count) rejected; "
                + "\(report.users.count) users, \(report.notifications.count) notifications: "
                + (report.tablesAgree ? "the tables agree one-to-one" : "the tables DISAGREE"))
        return report
    }
}
