import Herald
import NIOHTTP1

extension HeraldClient {
    /// Asks the server's probe: `GET /healthz` (the process answers), or with `ready` `GET /readyz` (its store
    /// answers too). Needs no API key.
    ///
    /// - Throws: ``HeraldClientError``: the server's problem when it is not ready (`503`), or why it could not
    ///   be reached.
    public func checkHealth(ready: Bool = false) async throws {
        try await send(.GET, path: ready ? "/readyz" : "/healthz")
    }
}
