import Foundation
import HeraldSQLite
import HeraldTesting
import Testing

@Suite struct OutboxTests {
    @Test func commitsTheUserRowAndTheEventsTogether() async throws {
        try await withTemporaryStore { store in
            try await store.transaction { tx in
                try await tx.execute("CREATE TABLE orders (id TEXT PRIMARY KEY, total INTEGER)")
            }
            let generation = try await store.transaction { tx in
                try await tx.execute("INSERT INTO orders (id, total) VALUES (?, ?)", [.text("o-1"), .integer(12)])
                let result = try await tx.publish(makeEvent("placed-1"))
                let visible = try await store.read(after: 0, filter: .all, limit: 10).events
                #expect(visible.isEmpty, "published events are visible only after the commit")
                return result
            }
            #expect(generation.outcome == .stored(sequence: 1))
            #expect(try await store.read(after: 0, filter: .all, limit: 10).events.map(\.event.id) == ["placed-1"])
            let rows = try await store.transaction { tx in try await tx.query("SELECT total FROM orders") }
            #expect(rows.map { $0.column("total")?.integer } == [12])
        }
    }

    @Test func rollsBackTheUserRowAndPublishesNothingWhenTheBodyThrows() async throws {
        struct Refused: Error {}
        try await withTemporaryStore { store in
            _ = try await store.createGroup(ConsumerGroupConfiguration(name: "g", topic: try TopicPattern(">")))
            try await store.transaction { tx in try await tx.execute("CREATE TABLE orders (id TEXT PRIMARY KEY)") }
            await #expect(throws: Refused.self) {
                try await store.transaction { tx in
                    try await tx.execute("INSERT INTO orders (id) VALUES ('o-1')")
                    try await tx.publish([makeEvent("placed-1"), makeEvent("placed-2")])
                    throw Refused()
                }
            }
            let rows = try await store.transaction { tx in try await tx.query("SELECT id FROM orders") }
            #expect(rows.isEmpty)
            #expect(try await store.read(after: 0, filter: .all, limit: 10).events.isEmpty)
            #expect(try await store.poll(group: "g", max: 10, wait: .zero).isEmpty)
            #expect(try await store.append(makeEvent("placed-1")).outcome == .stored(sequence: 1))
        }
    }

    @Test func aTransactionWhoseTaskIsCancelledIsRolledBackAndTheStoreStaysUsable() async throws {
        try await withTemporaryStore { store in
            try await store.transaction { tx in try await tx.execute("CREATE TABLE orders (id TEXT PRIMARY KEY)") }
            let (inserted, insertedContinuation) = AsyncStream<Void>.makeStream()
            // A stream nobody yields to: iterating it ends only when the task is cancelled.
            let (cancelled, keepOpen) = AsyncStream<Void>.makeStream()
            let task = Task {
                try await store.transaction { tx in
                    try await tx.execute("INSERT INTO orders (id) VALUES ('o-1')")
                    insertedContinuation.yield()
                    for await _ in cancelled {}
                    // In a cancelled task this statement fails before it runs, and so would a plain ROLLBACK.
                    try await tx.execute("INSERT INTO orders (id) VALUES ('o-2')")
                }
            }
            for await _ in inserted { break }
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
            keepOpen.finish()

            let rows = try await store.transaction { tx in try await tx.query("SELECT id FROM orders") }
            #expect(rows.isEmpty)
            #expect(try await store.append(makeEvent("placed-1")).outcome == .stored(sequence: 1))
        }
    }

    @Test func aFailedPublishLeavesTheTransactionUsable() async throws {
        try await withTemporaryStore { store in
            _ = try await store.append(makeEvent(subject: "s"))
            let results = try await store.transaction { tx in
                await #expect(throws: EventLogError.self) {
                    try await tx.publish([makeEvent("x", subject: "s")], expecting: .noStream("s"))
                }
                await #expect(throws: EventLogError.self) { try await store.append(makeEvent("inner")) }
                return try await tx.publish(
                    [makeEvent("y", subject: "s")], expecting: StreamExpectation(stream: "s", version: 1))
            }
            #expect(results.map(\.outcome) == [.stored(sequence: 2)])
            #expect(try await store.streamVersion("s") == 2)
        }
    }
}
