import Herald
import HeraldClient
import HeraldTesting
import Testing

/// The router over a remote server's consumer groups: a live `herald serve` application on an in-memory
/// store, consumed through `RemoteConsumerGroup`.
struct RemoteDeliverySources: DeliverySourceFixture {
    var capabilities: Capabilities { [] }

    func withSources(_ body: @Sendable (DeliverySourceHarness) async throws -> Void) async throws {
        let server = LiveServer()
        try await server.run { client, _ in
            try await body(
                DeliverySourceHarness(
                    store: server.store,
                    source: { configuration, _ in client.consumerGroup(configuration) }))
        }
    }
}

@Suite struct RemoteRouterConformanceTests {
    @Test(arguments: RouterConformance.cases(supporting: RemoteDeliverySources().capabilities))
    func routerConformance(_ testCase: RouterConformanceCase) async throws {
        try await testCase.run(RemoteDeliverySources())
    }
}
