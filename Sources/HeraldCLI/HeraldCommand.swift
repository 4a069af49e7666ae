import ArgumentParser

/// `herald`: the command-line entry point.
@main
struct HeraldCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "herald",
        abstract: "Herald: event-driven architecture for Swift.",
        version: "0.1.0",
        subcommands: [
            DemoCommand.self, ServeCommand.self, PublishCommand.self, TailCommand.self, QueryCommand.self,
            GroupsCommand.self, DeadLettersCommand.self, SchedulesCommand.self, CronNextCommand.self,
            BackupCommand.self, HealthCommand.self,
        ]
    )
}
