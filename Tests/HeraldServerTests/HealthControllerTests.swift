import Foundation
import HTTPTypes
import HeraldSQLite
import HeraldServer
import HummingbirdTesting
import NIOCore
import Testing

@Suite struct HealthControllerTests {
    @Test func healthzAnswersOK() async throws {
        try await ServerUnderTest().run { client in
            let response = try await client.execute(uri: "/healthz", method: .get)
            #expect(response.status == .ok)
            #expect(String(buffer: response.body) == #"{"status":"ok"}"#)
        }
    }

    @Test(arguments: [("DELETE", "/v1/events"), ("GET", "/nope"), ("POST", "/healthz")])
    func anUnknownRouteGetsA404Problem(method: String, path: String) async throws {
        try await ServerUnderTest().run { client in
            let response = try await client.execute(uri: path, method: try #require(HTTPRequest.Method(method)))
            #expect(response.status == .notFound)
            #expect(response.contentType == "application/problem+json")
            let problem = try response.decode(ProblemBody.self)
            #expect(problem.detail.contains("no route for \(method) \(path)"))
        }
    }

    @Test func readyzAnswersOKWhileTheStoreAnswers() async throws {
        try await ServerUnderTest().run { client in
            let response = try await client.execute(uri: "/readyz", method: .get)
            #expect(response.status == .ok)
        }
    }

    @Test func readyzAnswers503WithAProblemWhenTheStoreIsClosed() async throws {
        let store = try await SQLiteEventStore.openTemporary()
        try await store.close()
        try await buildHeraldApplication(store: store).test(.router) { client in
            let response = try await client.execute(uri: "/readyz", method: .get)
            #expect(response.status == .serviceUnavailable)
            #expect(response.contentType == ProblemDetails.mediaType)
            let problem = try response.decode(ProblemBody.self)
            #expect(problem.status == 503)
            #expect(problem.detail.contains("closed"))
        }
    }
}
