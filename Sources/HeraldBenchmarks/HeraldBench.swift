import ArgumentParser

/// `herald-bench`: Herald's benchmarks.
@main
struct HeraldBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "herald-bench",
        abstract: "Measures Herald against the peers a Swift developer would otherwise use."
    )
}
