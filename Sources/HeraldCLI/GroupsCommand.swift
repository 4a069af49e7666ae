import ArgumentParser
import Herald
import HeraldClient

/// `herald groups`: lists, creates and deletes consumer groups on a running server.
struct GroupsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "groups",
        abstract: "List, create, move and delete consumer groups on a running Herald server.",
        subcommands: [List.self, Create.self, Seek.self, Delete.self]
    )

    /// `herald groups list`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the consumer groups with their lag, deliveries in flight and dead letters.")

        @OptionGroup var serverOptions: ServerOptions

        func run() async throws {
            let groups = try await serverOptions.withClient { client in try await client.groups() }
            for line in Output.groupsTable(groups) { Output.line(line) }
        }
    }

    /// `herald groups create NAME --topic PATTERN`.
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a consumer group, or confirm one exists with the same settings.")

        @Argument(help: "The group's name: 1-128 letters, digits, '-', '_' or '.'.")
        var name: String

        @Option(help: "The event types it receives, as a pattern such as orders.>.")
        var topic: String

        @Option(
            help:
                "Where it starts: earliest (every stored event), latest (new events only), after:SEQUENCE or time:RFC3339."
        )
        var start = "earliest"

        @Option(help: "Deliveries of one event at most before it is dead-lettered, 1 to 1000.")
        var maxAttempts = 5

        @Option(help: "How long a consumer holds a delivery before it is redelivered, in milliseconds.")
        var ackTimeoutMs: Int64 = 30_000

        @Flag(help: "Deliver the events of one partition key one at a time, in order.")
        var ordered = false

        @OptionGroup var serverOptions: ServerOptions

        func validate() throws {
            _ = try configuration()
        }

        func run() async throws {
            let outcome = try await serverOptions.withClient { client in try await client.createGroup(configuration()) }
            Output.line(Self.line(outcome, name: name))
        }

        /// The group the options describe, checked as the server would.
        func configuration() throws -> ConsumerGroupConfiguration {
            guard let position = ConsumerGroupConfiguration.StartPosition(text: start) else {
                throw ValidationError(
                    "--start must be 'earliest', 'latest', 'after:SEQUENCE' or 'time:RFC3339', got '\(start)'")
            }
            let pattern: TopicPattern
            do {
                pattern = try TopicPattern(topic)
            } catch {
                throw ValidationError("--topic '\(topic)' is not a valid pattern: \(error)")
            }
            let configuration = ConsumerGroupConfiguration(
                name: name, topic: pattern, start: position, maxAttempts: maxAttempts,
                ackTimeout: .milliseconds(ackTimeoutMs), ordered: ordered)
            do {
                try configuration.validate()
            } catch {
                throw ValidationError(error.message)
            }
            return configuration
        }

        /// The line printed after the server answered.
        static func line(_ outcome: GroupCreation, name: String) -> String {
            switch outcome {
            case .created: "created consumer group \(name)"
            case .alreadyExists: "consumer group \(name) already exists with these settings"
            }
        }
    }

    /// `herald groups seek NAME --to POSITION`.
    struct Seek: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replay or skip: move a consumer group and end its deliveries in flight.",
            discussion: """
                The group then delivers the events after the position, again or for the first time, and skips \
                those before it. Deliveries in flight and redeliveries waiting end; dead letters stay.
                """)

        @Argument(help: "The group's name.")
        var name: String

        @Option(help: "Where it reads from now on: earliest, latest, after:SEQUENCE or time:RFC3339.")
        var to: String

        @OptionGroup var serverOptions: ServerOptions

        func validate() throws {
            _ = try position()
        }

        func run() async throws {
            let position = try position()
            let after = try await serverOptions.withClient { client in try await client.seek(group: name, to: position)
            }
            Output.line("consumer group \(name) now reads after sequence \(after)")
        }

        func position() throws -> ConsumerGroupConfiguration.StartPosition {
            guard let position = ConsumerGroupConfiguration.StartPosition(text: to) else {
                throw ValidationError(
                    "--to must be 'earliest', 'latest', 'after:SEQUENCE' or 'time:RFC3339', got '\(to)'")
            }
            return position
        }
    }

    /// `herald groups delete NAME`.
    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a consumer group with its deliveries and dead letters.")

        @Argument(help: "The group's name.")
        var name: String

        @OptionGroup var serverOptions: ServerOptions

        func run() async throws {
            try await serverOptions.withClient { client in try await client.deleteGroup(named: name) }
            Output.line("deleted consumer group \(name)")
        }
    }
}
