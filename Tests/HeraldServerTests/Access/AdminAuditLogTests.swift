import Foundation
import Herald
import HeraldServer
import HeraldTesting
import Logging
import NIOHTTP1
import Testing

/// Admin requests are logged with the key's name; no secret, right or wrong, ever reaches the logs.
@Suite struct AdminAuditLogTests {
    static let admin = try! APIKey(parsing: "ops:ops-secret-audit-000001:all,rate=3/s")
    static let reader = try! APIKey(parsing: "reader:reader-secret-audit-02:subscribe=sensors.>")

    @Test func adminRequestsAreLoggedWithTheKeyNameAndNoSecretIsEverLogged() async throws {
        let server = AccessServer(keys: [Self.admin, Self.reader])
        let wrongSecret = "guessed-secret-audit-0003"
        try await server.run { client async throws in
            #expect(
                try await client.send(.PUT, "/v1/groups/billing", key: Self.admin, json: #"{"topic":"orders.>"}"#)
                    .status == 201)
            #expect(try await client.send(.DELETE, "/v1/groups/billing", key: Self.admin).status == 204)
            // Refused requests: an unknown secret, a missing scope, a topic outside the key's, and over the rate.
            let stranger = APIKey(name: "stranger", secret: wrongSecret, scopes: [])
            #expect(try await client.send(.GET, "/v1/events", key: stranger).status == 401)
            #expect(try await client.send(.GET, "/metrics", key: Self.reader).status == 403)
            #expect(try await client.send(.GET, "/v1/events?topic=orders.>", key: Self.reader).status == 403)
            #expect(try await client.send(.GET, "/metrics", key: Self.admin).status == 200)
            #expect(try await client.send(.GET, "/metrics", key: Self.admin).status == 429)
        }
        let records = server.logs.records
        // Each admin request the route admits; the one over the rate never reached it (it is counted in
        // herald_rate_limited_requests_total{key}).
        let audit = records.filter { $0.message == "admin request" }
        #expect(audit.map { $0.metadata["path"] } == ["/v1/groups/billing", "/v1/groups/billing", "/metrics"])
        #expect(audit.allSatisfy { $0.metadata["key"] == "ops" && $0.level == .info })
        #expect(audit.map { $0.metadata["method"] } == ["PUT", "DELETE", "GET"])
        #expect(records.contains { $0.message.contains("unknown API key") })
        for record in records {
            for secret in [Self.admin.secret, Self.reader.secret, wrongSecret] {
                #expect(!record.fullText.contains(secret), "\(record.fullText)")
            }
        }
    }
}
