import ArgumentParser
import HeraldClient

/// `herald dead-letters`: lists and requeues a consumer group's dead letters on a running server.
struct DeadLettersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dead-letters",
        abstract: "List or requeue the events a consumer group gave up on.",
        subcommands: [List.self, Requeue.self]
    )

    /// `herald dead-letters list GROUP`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a group's dead letters with their attempts and last error.")

        @Argument(help: "The consumer group.")
        var group: String

        @OptionGroup var serverOptions: ServerOptions

        func run() async throws {
            let letters = try await serverOptions.withClient { client in try await client.deadLetters(group: group) }
            for line in Output.deadLettersTable(letters) { Output.line(line) }
        }
    }

    /// `herald dead-letters requeue GROUP [--sequence N ...]`.
    struct Requeue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Deliver dead letters again: those with the given sequences, or all of them.")

        @Argument(help: "The consumer group.")
        var group: String

        @Option(name: .customLong("sequence"), help: "A dead letter's sequence; repeat for several. (default: all)")
        var sequences: [Int64] = []

        @OptionGroup var serverOptions: ServerOptions

        func run() async throws {
            let count = try await serverOptions.withClient { client in
                try await client.requeueDeadLetters(group: group, sequences: sequences)
            }
            Output.line(Self.line(count: count, sequences: sequences, group: group))
        }

        /// The line printed after the server answered.
        static func line(count: Int?, sequences: [Int64], group: String) -> String {
            let what =
                if let count { "\(count) dead letter\(count == 1 ? "" : "s")" } else if sequences.isEmpty {
                    "all dead letters"
                } else {
                    "dead letters " + sequences.map(String.init).joined(separator: ", ")
                }
            return "requeued \(what) of consumer group \(group)"
        }
    }
}
