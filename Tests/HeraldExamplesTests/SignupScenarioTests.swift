import Foundation
import Herald
import HeraldExamples
import HeraldSQLite
import HeraldTesting
import Testing

@Suite struct SignupScenarioTests {
    struct InjectedFailure: Error {}

    static func requestEvent(_ id: String, email: String) throws -> Event {
        try Event(RegistrationRequested(email: email, name: "Ada"), source: "/signup/form", id: id)
    }

    static func events(in store: SQLiteEventStore, type: String) async throws -> [Event] {
        try await store.read(after: 0, filter: EventFilter(topic: try TopicPattern(type)), limit: 10_000).events
            .map(\.event)
    }

    @Test func usersAndNotificationsMatchOneToOneAndDuplicateEmailsAreRejectedWithAnEvent() async throws {
        var configuration = SignupScenario.Configuration()
        configuration.users = 16
        configuration.interval = .seconds(2)
        configuration.duplicateRate = 0.3
        let store = try await SQLiteEventStore.openTemporary()
        let report = try await withTimeLimit(testHangLimit, "the signup scenario") { [configuration] in
            try await SignupScenario.run(configuration, store: store, clock: SimulatedWallClock(start: Date())) { _ in }
        }
        let form = SignupForm(duplicateRate: 0.3)
        let applicants = (1...16).map(form.applicant)
        #expect(report.requests == applicants)
        var seen: Set<String> = []
        let firstTimers = applicants.filter { seen.insert($0.email).inserted }
        #expect(firstTimers.count < 16, "the form must produce duplicates for this test to mean anything")

        #expect(report.users.map(\.email) == firstTimers.map(\.email))
        #expect(report.tablesAgree)
        #expect(report.notifications.map(\.userID) == report.users.map(\.id))
        #expect(report.notifications.map(\.email) == report.users.map(\.email))
        #expect(report.rejections.count == 16 - firstTimers.count)
        for rejection in report.rejections {
            #expect(rejection.reason == "the email '\(rejection.email)' is already registered")
        }
        #expect(try await Self.events(in: store, type: UserRegistered.eventType).count == firstTimers.count)
        #expect(try await Self.events(in: store, type: UserNotified.eventType).count == firstTimers.count)
        #expect(try await store.schedule(named: SignupScenario.scheduleName) == nil)
        try await store.close()
    }

    @Test func withAServerEveryUserEventIsForwardedToIt() async throws {
        var configuration = SignupScenario.Configuration()
        configuration.users = 5
        configuration.duplicateRate = 0
        let store = try await SQLiteEventStore.openTemporary()
        let server = LiveServer()
        try await server.run { [configuration] client in
            let report = try await withTimeLimit(testHangLimit, "the signup scenario with a server") {
                try await SignupScenario.run(
                    configuration, store: store, clock: SimulatedWallClock(start: Date()), server: client
                ) { _ in }
            }
            #expect(report.users.count == 5)
        }
        let forwarded = try await server.store.read(after: 0, filter: .all, limit: 100).events.map(\.event)
        let local = try await Self.events(in: store, type: "user.>")
        #expect(forwarded.map(\.id) == local.map(\.id))
        #expect(forwarded.count { $0.type == UserRegistered.eventType } == 5)
        try await store.close()
    }

    @Test func aFailureAfterTheInsertRollsBackTheUserAndPublishesNothing() async throws {
        let store = try await SQLiteEventStore.openTemporary()
        let database = try await SignupDatabase(store: store)
        var failing = RegistrationHandler(database: database)
        failing.afterInsert = { _ in throw InjectedFailure() }
        let request = try Self.requestEvent("request-1", email: "ada@example.com")
        await #expect(throws: InjectedFailure.self) { try await failing.handle(request) }
        #expect(try await database.users().isEmpty)
        #expect(try await store.lastSequence() == 0)

        // Redelivered to a handler that does not fail, the same request registers the user.
        try await RegistrationHandler(database: database).handle(request)
        #expect(try await database.users().map(\.email) == ["ada@example.com"])
        #expect(try await Self.events(in: store, type: UserRegistered.eventType).count == 1)
        try await store.close()
    }

    @Test func aRedeliveredRequestRegistersOnceAndIsNotRejectedAsItsOwnDuplicate() async throws {
        let store = try await SQLiteEventStore.openTemporary()
        let database = try await SignupDatabase(store: store)
        let handler = RegistrationHandler(database: database)
        let request = try Self.requestEvent("request-1", email: "ada@example.com")
        try await handler.handle(request)
        try await handler.handle(request)
        try await handler.handle(try Self.requestEvent("request-2", email: "ada@example.com"))
        #expect(try await database.users().count == 1)
        #expect(try await Self.events(in: store, type: UserRegistered.eventType).count == 1)
        let rejected = try await Self.events(in: store, type: RegistrationRejected.eventType)
        #expect(try rejected.map { try $0.decode(RegistrationRejected.self).requestID } == ["request-2"])
        try await store.close()
    }

    @Test func aRedeliveredRegistrationDoesNotNotifyTwice() async throws {
        let store = try await SQLiteEventStore.openTemporary()
        let database = try await SignupDatabase(store: store)
        try await RegistrationHandler(database: database).handle(try Self.requestEvent("r-1", email: "ada@example.com"))
        let registered = try #require(try await Self.events(in: store, type: UserRegistered.eventType).first)
        let notifier = WelcomeNotifier(database: database)
        #expect(try await notifier.handle(registered))
        #expect(try await !notifier.handle(registered))
        #expect(try await database.notifications().count == 1)
        #expect(try await Self.events(in: store, type: UserNotified.eventType).count == 1)
        try await store.close()
    }
}
