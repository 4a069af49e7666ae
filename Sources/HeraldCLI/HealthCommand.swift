import ArgumentParser
import HeraldClient

/// `herald health`: asks a running server's probe, for a container's health check.
struct HealthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Ask a running server whether it is up (GET /healthz), or with --ready whether its store answers.",
        discussion: """
            Prints ok and exits with 0 when the server answers, else prints why and exits with 1; needs no API key. \
            The container image's HEALTHCHECK runs it.
            """
    )

    @OptionGroup var serverOptions: ServerOptions

    @Flag(help: "Ask GET /readyz instead: the store must answer too.")
    var ready = false

    func run() async throws {
        try await serverOptions.withClient { client in try await client.checkHealth(ready: ready) }
        Output.line("ok")
    }
}
