import Herald
import Logging
import ServiceLifecycle

/// Feeds a ``TopicRateTracker`` with the type of every event appended to the store while the server runs,
/// by following the log from its end at start-up.
///
/// It runs with the application and ends on graceful shutdown. A store error (such as a closed store)
/// does not stop the server: the service logs it and follows again a second later, from where it was.
struct TopicRateService: Service {
    let store: any EventLog
    let tracker: TopicRateTracker
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var position: Int64?
            var failing = false
            while !Task.isCancelled {
                do {
                    let start: Int64
                    if let position {
                        start = position
                    } else {
                        start = try await store.lastSequence()
                    }
                    position = start
                    for try await stored in store.follow(after: start) {
                        tracker.record(stored.event.type)
                        position = stored.sequence
                        failing = false
                    }
                } catch is CancellationError {
                    return
                } catch {
                    if !failing {
                        logger.warning(
                            "following the log for topic rates failed; retrying every second",
                            metadata: ["error": "\(error)"])
                    }
                    failing = true
                    do { try await Task.sleep(for: .seconds(1)) } catch { return }
                }
            }
        }
    }
}
