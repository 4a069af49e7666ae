import Foundation
import HTTPTypes
import HeraldServer
import HummingbirdTesting
import NIOCore
import Testing

@Suite struct DashboardRoutesTests {
    static let files = [
        ("/", "text/html; charset=utf-8"),
        ("/dashboard/dashboard.js", "text/javascript; charset=utf-8"),
        ("/dashboard/dashboard.css", "text/css; charset=utf-8"),
        ("/dashboard/favicon.svg", "image/svg+xml"),
    ]

    @Test(arguments: files)
    func servesEachFileWithItsTypeAPolicyAndAnEntityTag(path: String, contentType: String) async throws {
        try await ServerUnderTest().run { client in
            let response = try await client.execute(uri: path, method: .get)
            #expect(response.status == .ok)
            #expect(response.contentType == contentType)
            #expect(response.body.readableBytes > 0)
            #expect(response.headers[.cacheControl] == "no-cache")
            #expect(response.headers[.xContentTypeOptions] == "nosniff")
            let etag = try #require(response.headers[.eTag])
            #expect(etag.hasPrefix("\"") && etag.hasSuffix("\"") && etag.count > 10)
        }
    }

    @Test func thePolicyAllowsScriptsFromTheServerOnlyAndNoInlineScript() async throws {
        try await ServerUnderTest().run { client in
            let response = try await client.execute(uri: "/", method: .get)
            let policy = try #require(response.headers[.contentSecurityPolicy])
            let directives = Dictionary(
                policy.split(separator: ";").map { directive in
                    let words = directive.split(separator: " ").map(String.init)
                    return (words[0], Set(words.dropFirst()))
                },
                uniquingKeysWith: { first, _ in first })
            #expect(directives["default-src"] == ["'none'"])
            #expect(directives["script-src"] == ["'self'"])
            #expect(directives["style-src"] == ["'self'"])
            #expect(directives["connect-src"] == ["'self'"])
            #expect(directives["frame-ancestors"] == ["'none'"])
            #expect(!policy.contains("unsafe"))
        }
    }

    @Test func thePageHasNoInlineScriptOrStyle() async throws {
        try await ServerUnderTest().run { client in
            let page = String(buffer: try await client.execute(uri: "/", method: .get).body)
            #expect(page.contains(#"<script type="module" src="/dashboard/dashboard.js"></script>"#))
            let scriptTags = page.components(separatedBy: "<script").count - 1
            #expect(scriptTags == 1)
            #expect(!page.contains("<style"))
            #expect(!page.contains(" style="))
            let handlerAttribute = try Regex(#"\son[a-z]+\s*="#)
            #expect(!page.contains(handlerAttribute), "no inline event handler attribute such as onclick")
        }
    }

    @Test func everyFileThePageLinksIsServed() async throws {
        try await ServerUnderTest().run { client in
            let page = String(buffer: try await client.execute(uri: "/", method: .get).body)
            let links = Self.attributeValues(named: ["src", "href"], in: page)
            #expect(Set(links) == ["/dashboard/dashboard.js", "/dashboard/dashboard.css", "/dashboard/favicon.svg"])
            for link in links {
                let response = try await client.execute(uri: link, method: .get)
                #expect(response.status == .ok, "\(link)")
            }
        }
    }

    @Test func worksOfflineWithNothingFromOtherHosts() async throws {
        try await ServerUnderTest().run { client in
            for (path, _) in Self.files {
                let text = String(buffer: try await client.execute(uri: path, method: .get).body)
                // The SVG namespace is a name, not something fetched.
                let withoutNamespace = text.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "")
                #expect(!withoutNamespace.contains("http://"), "\(path)")
                #expect(!withoutNamespace.contains("https://"), "\(path)")
                #expect(!withoutNamespace.contains("@import"), "\(path)")
                #expect(!withoutNamespace.contains("url("), "\(path)")
            }
        }
    }

    @Test func theScriptNeverWritesHTML() async throws {
        try await ServerUnderTest().run { client in
            let script = String(buffer: try await client.execute(uri: "/dashboard/dashboard.js", method: .get).body)
            for sink in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"] {
                #expect(!script.contains(sink), "the dashboard script uses \(sink)")
            }
            #expect(script.contains("textContent"))
        }
    }

    @Test(arguments: ["\"{tag}\"", "W/\"{tag}\"", "\"other\", \"{tag}\"", "*"])
    func aMatchingIfNoneMatchAnswers304WithoutBody(condition: String) async throws {
        try await ServerUnderTest().run { client in
            let first = try await client.execute(uri: "/dashboard/dashboard.js", method: .get)
            let etag = try #require(first.headers[.eTag])
            let value = condition.replacingOccurrences(of: "\"{tag}\"", with: etag)
            let second = try await client.execute(
                uri: "/dashboard/dashboard.js", method: .get, headers: [.ifNoneMatch: value])
            #expect(second.status == .notModified)
            #expect(second.body.readableBytes == 0)
            #expect(second.headers[.eTag] == etag)
            #expect(second.headers[.cacheControl] == "no-cache")
        }
    }

    @Test func aStaleIfNoneMatchGetsTheFile() async throws {
        try await ServerUnderTest().run { client in
            let response = try await client.execute(uri: "/", method: .get, headers: [.ifNoneMatch: "\"stale\""])
            #expect(response.status == .ok)
            #expect(response.body.readableBytes > 0)
        }
    }

    @Test func filesHaveDistinctEntityTags() async throws {
        try await ServerUnderTest().run { client in
            var tags: Set<String> = []
            for (path, _) in Self.files {
                tags.insert(try #require(try await client.execute(uri: path, method: .get).headers[.eTag]))
            }
            #expect(tags.count == Self.files.count)
        }
    }

    @Test(arguments: ["/", "/dashboard/dashboard.css"])
    func headAnswersTheHeadersWithoutBody(path: String) async throws {
        try await ServerUnderTest().run { client in
            let get = try await client.execute(uri: path, method: .get)
            let head = try await client.execute(uri: path, method: .head)
            #expect(head.status == .ok)
            #expect(head.contentType == get.contentType)
            #expect(head.headers[.eTag] == get.headers[.eTag])
            #expect(head.body.readableBytes == 0)
        }
    }

    @Test func headOfAnUnknownFileAnswers404() async throws {
        try await ServerUnderTest().run { client in
            let response = try await client.execute(uri: "/dashboard/nothing.css", method: .head)
            #expect(response.status == .notFound)
        }
    }

    @Test(arguments: ["/dashboard/missing.js", "/dashboard/index.html", "/dashboard/..%2Fdashboard.js"])
    func anUnknownFileAnswers404NamingTheFiles(path: String) async throws {
        try await ServerUnderTest().run { client in
            let response = try await client.execute(uri: path, method: .get)
            #expect(response.status == .notFound)
            #expect(response.contentType == "application/problem+json")
            let problem = try response.decode(ProblemBody.self)
            #expect(problem.type == "urn:herald:problem:not-found")
            #expect(problem.detail.contains("dashboard.js"))
        }
    }

    @Test func thePageNeedsNoKeyOnAServerWithKeys() async throws {
        var server = ServerUnderTest()
        server.configuration.apiKeys = [APIKey(name: "reader", secret: "s3cret", scopes: [.subscribe])]
        try await server.run { client in
            for (path, _) in Self.files {
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status == .ok, "\(path)")
            }
            let api = try await client.execute(uri: "/v1/events", method: .get)
            #expect(api.status == .unauthorized, "the API the page calls still needs the key")
        }
    }

    /// The values of the attributes `names` in `html`, in order.
    private static func attributeValues(named names: Set<String>, in html: String) -> [String] {
        var values: [String] = []
        for name in names {
            var rest = html[...]
            while let start = rest.range(of: " \(name)=\"") {
                rest = rest[start.upperBound...]
                guard let end = rest.firstIndex(of: "\"") else { break }
                values.append(String(rest[..<end]))
                rest = rest[end...]
            }
        }
        return values
    }
}
