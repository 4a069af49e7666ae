import Herald
import HeraldTesting
import Logging
import Testing

@Suite struct LoggingMiddlewareTests {
    @Test func givesTheInnerChainALoggerNamingTheEvent() async throws {
        let logs = CapturedLogs()
        var event = Event.test(id: "e7")
        event.correlationID = "chain-1"

        let context = HandlerContext.test(handlerName: "billing", logs: logs)

        _ = try await LoggingMiddleware().handle(event, context: context) { _, context in
            context.logger.info("charging")
            return []
        }

        let inner = try #require(logs.records.first { $0.message == "charging" })
        #expect(inner.metadata["handler"] == "billing")
        #expect(inner.metadata["event_id"] == "e7")
        #expect(inner.metadata["event_type"] == "test.happened")
        #expect(inner.metadata["correlation_id"] == "chain-1")
    }

    @Test func usesTheEventIdAsCorrelationIdWhenTheEventStartsAChain() async throws {
        let logs = CapturedLogs()

        _ = try await LoggingMiddleware().handle(.test(id: "e1"), context: .test(logs: logs)) { _, _ in [] }

        #expect(logs.records.map { $0.metadata["correlation_id"] } == ["e1"])
    }

    @Test func logsASuccessAtDebugLevel() async throws {
        let logs = CapturedLogs()

        _ = try await LoggingMiddleware().handle(.test(), context: .test(logs: logs)) { _, _ in
            [.test(id: "reply")]
        }

        #expect(logs.records.map(\.level) == [.debug])
        #expect(logs.records.first?.metadata["published"] == "1")
    }

    @Test(arguments: [Logger.Level.warning, .error])
    func logsAFailureAtTheConfiguredLevelAndRethrowsIt(level: Logger.Level) async throws {
        let logs = CapturedLogs()
        let middleware = LoggingMiddleware(failureLevel: level)

        await #expect(throws: HandlerFailure(name: "declined")) {
            try await middleware.handle(.test(id: "e1"), context: .test(handlerName: "billing", logs: logs)) { _, _ in
                throw HandlerFailure(name: "declined")
            }
        }

        let record = try #require(logs.records.first)
        #expect(logs.records.count == 1)
        #expect(record.level == level)
        #expect(record.metadata["error"] == "\(HandlerFailure(name: "declined"))")
        #expect(record.metadata["handler"] == "billing")
        #expect(record.metadata["event_id"] == "e1")
    }
}
