import Foundation
import HTTPTypes
import Herald
import HeraldServer
import HeraldTesting
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The dashboard in a real browser: headless Chromium, driven over the DevTools Protocol, against a live
/// server on an in-memory store. Skipped without Chromium unless `HERALD_REQUIRE_CHROMIUM=1`.
@Suite(.enabled(if: HeadlessChromium.testsShouldRun, "needs Chromium (HERALD_CHROMIUM or /usr/bin/chromium)"))
struct DashboardBrowserTests {
    /// Where the screenshot goes: `.build/dashboard-screenshot.png` in the package.
    static let screenshotURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".build/dashboard-screenshot.png")

    @Test(.heavy, .timeLimit(.minutes(10)))
    func showsLiveEventsGroupsAndPublishesFromTheForm() async throws {
        let store = InMemoryEventStore()
        _ = try await store.append([
            Event(
                id: "backlog-1", source: "/shop", type: "orders.placed", subject: "order-1001", time: Date(),
                dataContentType: "application/json", data: Data(#"{"total":42,"currency":"EUR"}"#.utf8)),
            Event(
                id: "backlog-2", source: "/billing", type: "payments.taken", subject: "order-1001", time: Date(),
                dataContentType: "application/json", data: Data(#"{"amount":42}"#.utf8)),
        ])
        _ = try await store.createGroup(
            ConsumerGroupConfiguration(name: "billing", topic: try TopicPattern("orders.>")))
        var configuration = HeraldServerConfiguration()
        configuration.port = 0
        try await Self.withDashboard(store: store, configuration: configuration) { page, client in
            try await Self.exercise(page, client: client, store: store)
        }
    }

    @Test(.heavy, .timeLimit(.minutes(10)))
    func asksForAnAPIKeyAndSendsItOnAServerWithKeys() async throws {
        let secret = "dashboard-test-secret"
        var configuration = HeraldServerConfiguration()
        configuration.port = 0
        configuration.apiKeys = [APIKey(name: "dashboard", secret: secret, scopes: Set(APIKey.Scope.all))]
        try await Self.withDashboard(store: InMemoryEventStore(), configuration: configuration) { page, client in
            // Without a key the page says it needs one.
            let refused = try await page.waitUntil(
                "document.documentElement.dataset.feed === 'unauthorized'")
            #expect(refused, "the page did not report that it needs a key")

            // The reader enters the key; the page keeps it, reloads and follows the events with it.
            try await page.evaluate(
                "document.getElementById('api-key').value = \(Self.literal(secret)); "
                    + "document.getElementById('key-form').requestSubmit(); true")
            let connected = try await page.waitUntil(
                "document.documentElement.dataset.feed === 'stream'")
            try #require(connected, "the page did not connect with the key")
            #expect(try await page.evaluate("localStorage.getItem('herald.apiKey')") as? String == secret)

            let id = "keyed-\(UUID().uuidString)"
            var headers = HTTPFields.structured
            headers[.authorization] = "Bearer \(secret)"
            let response = try await client.execute(
                uri: "/v1/events", method: .post, headers: headers, body: ByteBuffer(string: structuredEvent(id: id)))
            #expect(response.status == .created)
            #expect(try await page.waitUntil(Self.rowExists(id)))
            #expect(page.scriptErrors.isEmpty, "the page logged errors: \(page.scriptErrors)")
        }
    }

    /// Serves `store` on a free port, opens the dashboard in a new headless Chromium and runs `body` with the
    /// page and an HTTP client of the server; the browser is ended afterwards, whatever happens.
    private static func withDashboard(
        store: InMemoryEventStore,
        configuration: HeraldServerConfiguration,
        _ body: @escaping @Sendable (DevToolsPage, any TestClientProtocol) async throws -> Void
    ) async throws {
        try await buildHeraldApplication(store: store, configuration: configuration).test(.live) { client in
            let port = try #require(client.port)
            let chromium = try await HeadlessChromium.launch()
            let devToolsURL = chromium.devToolsURL
            do {
                try await Self.withDeadline(.seconds(240), ending: chromium) {
                    try await DevToolsPage.open("http://127.0.0.1:\(port)/", devToolsURL: devToolsURL) { page in
                        try await body(page, client)
                    }
                }
            } catch {
                await chromium.stop()
                throw error
            }
            await chromium.stop()
        }
    }

    private static func exercise(
        _ page: DevToolsPage, client: any TestClientProtocol, store: InMemoryEventStore
    ) async throws {
        // Connected: following the live stream. The page would fall back to polling on a server without
        // /v1/stream; this server has it, so polling here means the stream route is lost.
        let expectedFeed = "stream"
        let connected = try await page.waitUntil(
            "document.documentElement.dataset.feed === \(literal(expectedFeed))")
        let feed = try await page.evaluate(
            "document.documentElement.dataset.feed + ': ' + document.getElementById('feed-status').textContent")
        try #require(connected, "the page is not \(expectedFeed): \(feed ?? "nil"); \(page.scriptErrors)")
        #expect(try await page.evaluate(rowExists("backlog-2")) as? Bool == true, "the backlog is shown")

        // An event published over HTTP is pushed to the page over the stream it keeps open: the page adds rows
        // only from the stream, or from polling on a server without one, and it is still following the stream.
        // How soon it shows is a matter for a benchmark, not for a test on a shared machine.
        let id = "live-\(UUID().uuidString)"
        let response = try await client.execute(
            uri: "/v1/events", method: .post, headers: .structured,
            body: ByteBuffer(string: structuredEvent(id: id, type: "orders.paid")))
        #expect(response.status == .created)
        let shown = try await page.waitUntil(rowExists(id))
        #expect(shown, "the event published over HTTP never showed")
        #expect(
            try await page.evaluate("document.documentElement.dataset.feed") as? String == expectedFeed,
            "the page left the live stream")
        let cells = try await page.evaluate("\(row(id)).cells.length") as? Int
        #expect(cells == 6)
        let type = try await page.evaluate("\(row(id)).querySelector('.type').textContent") as? String
        #expect(type == "orders.paid")

        // Markup in an event is shown as text, never run or rendered.
        let hostile = "hostile-\(UUID().uuidString)"
        let markup = #"<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">"#
        let hostileEvent: [String: Any] = [
            "specversion": "1.0", "id": hostile, "source": "/attacker", "type": "orders.<b>bold</b>",
            "subject": "<i>italic</i>", "data": ["note": markup],
        ]
        let hostileResponse = try await client.execute(
            uri: "/v1/events", method: .post, headers: .structured,
            body: ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: hostileEvent)))
        #expect(hostileResponse.status == .created)
        #expect(try await page.waitUntil(rowExists(hostile)))
        let elements = try await page.evaluate("\(row(hostile)).querySelectorAll('script, img, b, i').length")
        #expect(elements as? Int == 0, "event markup became elements")
        let text = try await page.evaluate("\(row(hostile)).textContent") as? String ?? ""
        #expect(text.contains("<script>window.pwned = 1</script>"))
        #expect(text.contains("orders.<b>bold</b>"))
        #expect(try await page.evaluate("typeof window.pwned") as? String == "undefined")

        // The form reports the server's problem detail.
        try await page.evaluate(
            fillForm(type: "form.rejected", source: "/has a space", subject: "", data: #"{"n": 1}"#))
        #expect(
            try await page.waitUntil(
                "document.querySelector('#publish-result.error')?.textContent.includes('Invalid event') === true"))
        let problem = try await page.evaluate("document.getElementById('publish-result').textContent") as? String
        #expect(problem?.contains("source") == true, "the problem detail names the attribute: \(problem ?? "nil")")

        // And a good event published from the form is stored and comes back over the feed.
        try await page.evaluate(
            fillForm(type: "form.sent", source: "/dashboard", subject: "from-the-form", data: #"{"hello": "world"}"#))
        #expect(
            try await page.waitUntil(
                "document.querySelector('#publish-result.ok')?.textContent.startsWith('Published') === true"))
        let stored = try await store.read(
            after: 0, filter: EventFilter(topic: try TopicPattern("form.sent")), limit: 10)
        #expect(stored.events.map(\.event.subject) == ["from-the-form"])
        #expect(stored.events.first?.event.data == Data(#"{"hello":"world"}"#.utf8))
        #expect(
            try await page.waitUntil(
                "[...document.querySelectorAll('#event-rows .type')].some((cell) => cell.textContent === 'form.sent')"))

        // A schedule created over HTTP shows in the schedules panel with its trigger and next firing.
        let schedule = try await client.execute(
            uri: "/v1/schedules/nightly-report", method: .put, headers: [.contentType: "application/json"],
            body: ByteBuffer(string: #"{"cron":"0 3 * * *","event":{"type":"report.due","source":"/reports"}}"#))
        #expect(schedule.status == .created)
        let scheduleRow = "document.querySelector('#schedule-rows tr[data-name=\"nightly-report\"]')"
        #expect(try await page.waitUntil("\(scheduleRow) !== null"))
        let scheduleText = try await page.evaluate("\(scheduleRow).textContent") as? String ?? ""
        #expect(scheduleText.contains("cron 0 3 * * *"), "\(scheduleText)")
        #expect(try await page.evaluate("\(scheduleRow).cells[2].title") as? String != "—")

        // The group's Skip button moves it past every event (after a confirmation), and Replay back to the start.
        let skip = "document.querySelector('#group-rows button[data-group=\"billing\"][data-seek=\"latest\"]')"
        #expect(try await page.waitUntil("\(skip) !== null"))
        #expect(try await store.groupInfo(named: "billing")?.lag ?? 0 > 0)
        try await page.evaluate("window.confirm = () => true; \(skip).click(); true")
        #expect(
            try await page.waitUntil(
                "document.getElementById('groups-result').textContent.startsWith('billing now reads after sequence')"))
        #expect(try await store.groupInfo(named: "billing")?.lag == 0)
        let replay = "document.querySelector('#group-rows button[data-group=\"billing\"][data-seek=\"earliest\"]')"
        try await page.evaluate("\(replay).click(); true")
        #expect(
            try await page.waitUntil(
                "document.getElementById('groups-result').textContent === 'billing now reads after sequence 0.'"))
        #expect(try await store.groupInfo(named: "billing")?.lag ?? 0 > 0)

        // A few more live events for the rate chart, then the screenshot.
        for index in 0..<6 {
            let type = index.isMultiple(of: 3) ? "payments.taken" : "orders.placed"
            _ = try await client.execute(
                uri: "/v1/events", method: .post, headers: .structured,
                body: ByteBuffer(string: structuredEvent(id: "chart-\(index)-\(UUID().uuidString)", type: type)))
        }
        _ = try await page.waitUntil(
            "document.querySelectorAll('#event-rows tr').length >= 11")
        _ = try await page.evaluate("new Promise((resolve) => requestAnimationFrame(() => resolve(true)))")
        // Every row is one line high, the newest included, however long its type, subject or data.
        let heightsJSON =
            try await page.evaluate(
                "JSON.stringify([...document.querySelectorAll('#event-rows tr')]"
                    + ".map((row) => row.getBoundingClientRect().height))") as? String ?? "[]"
        let heights = try JSONDecoder().decode([Double].self, from: Data(heightsJSON.utf8))
        #expect(heights.count >= 11)
        #expect(
            (heights.max() ?? 0) - (heights.min() ?? 0) < 1, "event rows of different heights: \(heights)")
        let png = try await page.screenshot()
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        try FileManager.default.createDirectory(
            at: screenshotURL.deletingLastPathComponent(), withIntermediateDirectories: true)
        try png.write(to: screenshotURL)
        print("dashboard screenshot: \(screenshotURL.path)")

        #expect(page.scriptErrors.isEmpty, "the page logged errors: \(page.scriptErrors)")
    }

    /// A JavaScript string literal of `text`.
    private static func literal(_ text: String) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: text, options: .fragmentsAllowed), as: UTF8.self)
    }

    /// The row of the event with `id`, in JavaScript.
    private static func row(_ id: String) -> String {
        "[...document.querySelectorAll('#event-rows tr')].find((row) => row.dataset.eventId === \(literal(id)))"
    }

    private static func rowExists(_ id: String) -> String { "\(row(id)) !== undefined" }

    /// JavaScript that fills the publish form and submits it.
    private static func fillForm(type: String, source: String, subject: String, data: String) -> String {
        """
        (() => {
          document.getElementById('publish-result').hidden = true;
          document.getElementById('publish-result').className = 'result';
          document.getElementById('publish-type').value = \(literal(type));
          document.getElementById('publish-source').value = \(literal(source));
          document.getElementById('publish-subject').value = \(literal(subject));
          document.getElementById('publish-data').value = \(literal(data));
          document.getElementById('publish-button').click();
          return true;
        })()
        """
    }

    /// Runs `body`, killing the browser when it takes longer than `limit`, which ends the DevTools connection
    /// `body` is waiting on.
    private static func withDeadline(
        _ limit: Duration, ending chromium: HeadlessChromium, _ body: @escaping @Sendable () async throws -> Void
    ) async throws {
        let processIdentifier = chromium.processIdentifier
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                kill(processIdentifier, SIGKILL)
                throw HeadlessChromium.Failure(description: "the browser test took longer than \(limit)")
            }
            try await group.next()
            group.cancelAll()
        }
    }
}
