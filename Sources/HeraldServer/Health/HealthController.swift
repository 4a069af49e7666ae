import Foundation
import Herald
import Hummingbird

/// The probes an orchestrator polls: `/healthz` (the process answers) and `/readyz` (the store answers).
public struct HealthController: Sendable {
    let store: any EventLog

    /// Creates the probes over `store`.
    public init(store: any EventLog) {
        self.store = store
    }

    /// Adds `GET /healthz` and `GET /readyz` to `router`.
    public func addRoutes<Context: RequestContext>(to router: Hummingbird.Router<Context>) {
        router.get("healthz") { _, _ in Self.ok }
        router.get("readyz") { _, _ in
            do {
                _ = try await store.lastSequence()
            } catch let error as EventLogError where error.code == .unavailable {
                throw ProblemDetails.storeOutage("not ready: \(error.message)")
            } catch {
                throw ProblemDetails.storeUnavailable(
                    "the event store does not answer: \(error); check that it is open and its file or database is "
                        + "reachable")
            }
            return Self.ok
        }
    }

    private static var ok: Response {
        Response.json(.ok, Data(#"{"status":"ok"}"#.utf8))
    }
}
