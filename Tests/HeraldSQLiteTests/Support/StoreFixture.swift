import Foundation
import HeraldSQLite
import HeraldTesting
import Testing

/// A temporary directory for one test, removed when the test's body ends.
func withTemporaryDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-sqlite-test-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer {
        chmod(directory.path, 0o755)
        try? FileManager.default.removeItem(at: directory)
    }
    return try await body(directory)
}

/// Opens a store at `path`, runs `body`, and closes the store whether or not `body` throws.
func withStore<T>(
    at path: String,
    configuration: SQLiteEventStore.Configuration = .init(),
    clock: any WallClock = SystemWallClock(),
    _ body: (SQLiteEventStore) async throws -> T
) async throws -> T {
    let store = try await SQLiteEventStore.open(path: path, configuration: configuration, clock: clock)
    do {
        let value = try await body(store)
        try await store.close()
        return value
    } catch {
        try? await store.close()
        throw error
    }
}

/// A store in a fresh temporary directory, for tests that do not reopen it.
func withTemporaryStore<T>(
    clock: any WallClock = SystemWallClock(),
    configuration: SQLiteEventStore.Configuration = .init(),
    _ body: (SQLiteEventStore) async throws -> T
) async throws -> T {
    try await withTemporaryDirectory { directory in
        try await withStore(
            at: directory.appendingPathComponent("events.sqlite").path,
            configuration: configuration,
            clock: clock,
            body
        )
    }
}

/// An event of `type` from the test source.
func makeEvent(
    _ id: String = UUID().uuidString,
    type: String = "orders.placed",
    source: String = "/tests",
    subject: String? = nil,
    partitionKey: String? = nil,
    deliverAt: Date? = nil
) -> Event {
    var event = Event(id: id, source: source, type: type, subject: subject, data: Data(#"{"id":"\#(id)"}"#.utf8))
    event.partitionKey = partitionKey
    event.deliverAt = deliverAt
    return event
}

/// The wall clock of a new test clock, and the test clock to advance it.
func makeTestClock() -> (TestClock, TestWallClock) {
    let clock = TestClock()
    return (clock, clock.wallClock())
}
