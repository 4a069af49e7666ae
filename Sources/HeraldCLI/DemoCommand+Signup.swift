import ArgumentParser
import Foundation
import HeraldExamples

extension DemoCommand {
    /// `herald demo signup`.
    struct Signup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Timed sign-ups: users and their events written in one transaction (an outbox).",
            discussion: """
                A schedule fires every --interval seconds and brings in a user.registration.requested; a \
                handler inserts the user into a users table and publishes user.registered in the same SQLite \
                transaction, or publishes user.registration.rejected when the email is taken; a notifier \
                records one welcome per user in a notifications table. The tables and the outbox are always \
                in the embedded SQLite file (--store, or a temporary one), since only a transaction on that \
                file can write both; with --server every user.* event is also published to the server, \
                where the dashboard and herald query show it. Source: Examples/Signup/SignupScenario.swift.
                """
        )

        @Option(help: "How many registrations come in.")
        var users = 20

        @Option(help: "Seconds between registrations.")
        var interval = 0.25

        @Option(help: "The share of registrations, 0 to 1, that reuse an earlier email.")
        var duplicates = 0.2

        @OptionGroup var target: DemoTargetOptions

        func validate() throws {
            guard (1...100_000).contains(users) else {
                throw ValidationError("--users must be 1 to 100000, got \(users)")
            }
            guard interval >= 0.01, interval <= 3600 else {
                throw ValidationError("--interval must be 0.01 to 3600 seconds, got \(interval)")
            }
            guard (0...1).contains(duplicates) else {
                throw ValidationError("--duplicates must be a share from 0 to 1, such as 0.2, got \(duplicates)")
            }
        }

        /// The scenario's configuration from the options.
        func scenarioConfiguration() -> SignupScenario.Configuration {
            var configuration = SignupScenario.Configuration()
            configuration.users = users
            configuration.interval = .milliseconds(Int64((interval * 1000).rounded()))
            configuration.duplicateRate = duplicates
            return configuration
        }

        func run() async throws {
            try await target.withStore { store in
                try await target.withClient { client in
                    _ = try await SignupScenario.run(
                        scenarioConfiguration(), store: store, server: client, print: Output.line)
                }
            }
        }
    }
}
