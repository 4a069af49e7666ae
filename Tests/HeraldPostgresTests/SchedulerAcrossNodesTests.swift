import Foundation
import Herald
import HeraldPostgres
import HeraldTesting
import MetricsTestKit
import Testing

/// Three nodes on one database, each running a scheduler, on one shared test clock.
@Suite(.enabled(if: TestDatabase.isEnabled, "set HERALD_TEST_POSTGRES_URL, or run ./scripts/test"))
struct SchedulerAcrossNodesTests {
    /// The locks of a node that can be killed: from then on every call fails, as a dead process makes none,
    /// so its lease stays in the database until it runs out.
    final class KillableLocks: LockStore, Sendable {
        let base: any LockStore
        let killed = Locked(false)

        init(_ base: any LockStore) { self.base = base }

        func kill() { killed.withLock { $0 = true } }

        private func alive() throws {
            if killed.withLock({ $0 }) { throw PostgresTestFailure("this node is dead") }
        }

        func acquire(_ name: String, owner: String, ttl: Duration) async throws -> LockLease? {
            try alive()
            return try await base.acquire(name, owner: owner, ttl: ttl)
        }

        func renew(_ lease: LockLease, ttl: Duration) async throws -> LockLease? {
            try alive()
            return try await base.renew(lease, ttl: ttl)
        }

        func release(_ lease: LockLease) async throws -> Bool {
            try alive()
            return try await base.release(lease)
        }

        func holder(of name: String) async throws -> LockLease? {
            try await base.holder(of: name)
        }
    }

    @Test func eachInstantFiresOnceAcrossThreeNodesAndAnotherNodeTakesOverWhenTheFiringOneDies() async throws {
        let schema = TestDatabase.uniqueSchema("scheduler")
        let url = try TestDatabase.requireURL()
        let clock = TestClock()
        let epoch = Date(timeIntervalSince1970: 1_767_225_600)
        let wallClock = clock.wallClock(epoch: epoch)
        var connected: [PostgresEventStore] = []
        for _ in 0..<3 {
            connected.append(
                try await PostgresEventStore.connect(
                    url: url,
                    configuration: .init(schema: schema, maximumConnections: 4, connectTimeout: testHangLimit),
                    clock: wallClock
                )
            )
        }
        let stores = connected
        let locks = stores.map(KillableLocks.init)
        let metrics = TestMetrics()
        let schedulers = (0..<3).map { index in
            Scheduler(
                log: stores[index],
                schedules: stores[index],
                locks: locks[index],
                clock: wallClock,
                configuration: .init(owner: "node-\(index)", leaseDuration: .seconds(3), refreshInterval: .seconds(1)),
                metricsFactory: metrics
            )
        }
        /// The firings with `outcome` that every node counted together.
        func firings(_ outcome: String) -> Int64 {
            metrics.counters.filter { counter in
                counter.label == "herald_schedule_firings_total"
                    && counter.dimensions.contains { $0 == ("outcome", outcome) }
            }.reduce(0) { $0 + $1.totalValue }
        }
        _ = try await stores[1].saveSchedule(
            Schedule(
                name: "every10",
                trigger: .interval(.seconds(10), anchor: epoch),
                event: EventTemplate(type: "tick", source: "/across-nodes")
            )
        )
        let running = schedulers.map { scheduler in Task { try await scheduler.run() } }

        /// Moves the clock to `seconds` after the epoch, a second at a time so that every scheduler makes its
        /// passes, and waits for the log to hold `count` firings.
        func advance(to seconds: Int64, expecting count: Int64, elapsed: inout Int64) async throws {
            while elapsed < seconds {
                clock.advance(by: .seconds(1))
                elapsed += 1
            }
            try await withTimeLimit(testHangLimit, "firing \(count) at \(seconds) s") {
                while true {
                    let stored = try await stores[0].read(after: 0, filter: .all, limit: 100).events
                    if stored.count >= count { break }
                    _ = try await stores[0].waitForEvents(after: stored.last?.sequence ?? 0, timeout: .seconds(3_600))
                }
            }
        }

        do {
            var elapsed: Int64 = 0
            try await advance(to: 10, expecting: 1, elapsed: &elapsed)
            try await advance(to: 20, expecting: 2, elapsed: &elapsed)
            // Kill the node that fires, right after its firing: its lease stays until it runs out (3 s), well
            // before the next instant, which another node fires.
            let holder = try #require(try await stores[0].holder(of: "herald.scheduler"))
            let dead = Int(holder.owner.dropFirst("node-".count))!
            locks[dead].kill()
            running[dead].cancel()
            try await advance(to: 30, expecting: 3, elapsed: &elapsed)
            try await advance(to: 40, expecting: 4, elapsed: &elapsed)
            let newHolder = try #require(try await stores[0].holder(of: "herald.scheduler"))
            #expect(newHolder.owner != holder.owner, "a live node took over")
            #expect(newHolder.token > holder.token, "with a higher fencing token")

            let events = try await stores[2].read(after: 0, filter: .all, limit: 100).events.map(\.event)
            #expect(events.compactMap(\.time) == [10, 20, 30, 40].map { epoch.addingTimeInterval($0) })
            // The log drops a repeated firing (its id is NAME@INSTANT), so the events alone cannot show that one
            // node fired each instant: the nodes' own counts can. A second node firing an instant counts a
            // duplicate.
            #expect(firings("fired") == 4)
            #expect(firings("duplicate") == 0, "an instant was fired by more than one node")
        } catch {
            for task in running { task.cancel() }
            for store in stores { try? await store.close() }
            try? await TestDatabase.dropSchema(schema)
            throw error
        }
        for task in running { task.cancel() }
        // A cancelled scheduler returns; an error it threw while the test ran is a failure.
        for (index, task) in running.enumerated() {
            do {
                try await task.value
            } catch {
                Issue.record("node-\(index)'s scheduler failed: \(error)")
            }
        }
        for store in stores { try await store.close() }
        try await TestDatabase.dropSchema(schema)
    }
}
