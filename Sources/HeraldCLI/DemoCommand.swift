import ArgumentParser
import HeraldExamples

/// `herald demo NAME`: runs one of the scenarios Herald was created from.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a scenario in the terminal.",
        subcommands: [Observers.self, Sensors.self, Signup.self]
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
}
