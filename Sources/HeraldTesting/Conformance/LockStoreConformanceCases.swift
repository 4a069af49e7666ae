import Foundation
import Herald
import Testing

extension LockStoreConformance {
    /// The cases of named locks: exclusion, renewal, expiry, release, fencing tokens, concurrency, errors.
    static let lockCases: [LockStoreConformanceCase] = [
        LockStoreHarness.conformanceCase(
            "a held lock is exclusive: another owner gets nil and the holder stays",
            heldLockIsExclusive
        ),
        LockStoreHarness.conformanceCase(
            "the holder acquiring again renews its lease and keeps its token",
            requires: .controllableClock,
            sameOwnerRenewsKeepingToken
        ),
        LockStoreHarness.conformanceCase(
            "an expired lease lets another owner take the lock with a higher token",
            requires: .controllableClock,
            expiryLetsAnotherOwnerIn
        ),
        LockStoreHarness.conformanceCase(
            "an owner whose lease ran out gets a new, higher token when it acquires again",
            requires: .controllableClock,
            expiredOwnerGetsNewToken
        ),
        LockStoreHarness.conformanceCase(
            "release frees the lock once, and the next holder gets a higher token",
            releaseFreesTheLock
        ),
        LockStoreHarness.conformanceCase(
            "renew extends a current lease and keeps its token",
            requires: .controllableClock,
            renewExtendsCurrentLease
        ),
        LockStoreHarness.conformanceCase(
            "a stale lease neither renews nor releases, and leaves the new holder alone",
            requires: .controllableClock,
            staleLeaseChangesNothing
        ),
        LockStoreHarness.conformanceCase(
            "holder reports the current lease, and nil when free, released or expired",
            requires: .controllableClock,
            holderReportsCurrentLease
        ),
        LockStoreHarness.conformanceCase(
            "of many concurrent acquirers exactly one wins, round after round",
            concurrentAcquirersOneWins
        ),
        LockStoreHarness.conformanceCase(
            "locks of different names are independent",
            namesAreIndependent
        ),
        LockStoreHarness.conformanceCase(
            "tokens keep increasing and held leases stay held across a restart",
            requires: .durableRestart,
            tokensSurviveRestart
        ),
        LockStoreHarness.conformanceCase(
            "invalid names, owners and ttls are errors with invalidArgument",
            invalidArgumentsAreRejected
        ),
    ]

    /// Expects two leases to be the same, allowing `expiresAt` to differ by the rounding of a store that
    /// keeps microseconds.
    static func expectSame(
        _ actual: LockLease?,
        _ expected: LockLease,
        _ comment: Comment? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard let actual else {
            Issue.record(
                "expected \(expected), got nil. \(comment.map { "\($0)" } ?? "")", sourceLocation: sourceLocation)
            return
        }
        #expect(actual.name == expected.name, comment, sourceLocation: sourceLocation)
        #expect(actual.owner == expected.owner, comment, sourceLocation: sourceLocation)
        #expect(actual.token == expected.token, comment, sourceLocation: sourceLocation)
        expectClose(actual.expiresAt, expected.expiresAt, comment, sourceLocation: sourceLocation)
    }

    /// Expects two instants within a millisecond of each other.
    static func expectClose(
        _ actual: Date,
        _ expected: Date,
        _ comment: Comment? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(
            abs(actual.timeIntervalSince(expected)) < 0.001,
            "\(actual) should be \(expected). \(comment.map { "\($0)" } ?? "")",
            sourceLocation: sourceLocation
        )
    }

    static func heldLockIsExclusive(_ harness: LockStoreHarness) async throws {
        let store = harness.store
        let before = harness.now
        let lease = try await harness.acquire("exclusive", owner: "a", ttl: .seconds(60))
        #expect(lease.name == "exclusive")
        #expect(lease.owner == "a")
        #expect(lease.token > 0, "tokens are positive")
        #expect(lease.expiresAt >= before.addingTimeInterval(59.999), "the lease lasts the ttl from now")
        #expect(lease.expiresAt <= harness.now.addingTimeInterval(60.001), "the lease lasts the ttl from now")
        for owner in ["b", "c", "A", "a "] {
            #expect(
                try await store.acquire("exclusive", owner: owner, ttl: .seconds(60)) == nil, "'\(owner)' must wait")
        }
        expectSame(try await store.holder(of: "exclusive"), lease, "the first owner still holds it")
    }

    static func sameOwnerRenewsKeepingToken(_ harness: LockStoreHarness) async throws {
        let store = harness.store
        let first = try await harness.acquire("reentrant", owner: "a", ttl: .seconds(30))
        harness.advance(by: .seconds(20))
        let again = try await harness.acquire("reentrant", owner: "a", ttl: .seconds(30))
        #expect(again.token == first.token, "the holder keeps its token")
        expectClose(again.expiresAt, harness.now.addingTimeInterval(30), "renewed to the ttl from now")
        harness.advance(by: .seconds(20))
        // 40 s after the first acquire: past its first expiry, within the renewed one.
        expectSame(try await store.holder(of: "reentrant"), again, "the renewed lease is still current")
        #expect(try await store.acquire("reentrant", owner: "b", ttl: .seconds(30)) == nil)
    }

    static func expiryLetsAnotherOwnerIn(_ harness: LockStoreHarness) async throws {
        let store = harness.store
        let first = try await harness.acquire("expiring", owner: "a", ttl: .seconds(30))
        harness.advance(by: .seconds(29))
        #expect(try await store.acquire("expiring", owner: "b", ttl: .seconds(30)) == nil, "one second left")
        harness.advance(by: .seconds(1))
        let second = try await harness.acquire("expiring", owner: "b", ttl: .seconds(30))
        #expect(second.token > first.token, "the lock passed to another owner: a higher token")
        expectSame(try await store.holder(of: "expiring"), second)
        #expect(try await store.acquire("expiring", owner: "a", ttl: .seconds(30)) == nil, "now 'a' must wait")
    }

    static func expiredOwnerGetsNewToken(_ harness: LockStoreHarness) async throws {
        let first = try await harness.acquire("lapsed", owner: "a", ttl: .seconds(10))
        harness.advance(by: .seconds(11))
        let again = try await harness.acquire("lapsed", owner: "a", ttl: .seconds(10))
        #expect(again.token > first.token, "the old lease lapsed, so work fenced by its token must be refused")
        #expect(try await harness.store.renew(first, ttl: .seconds(10)) == nil, "the lapsed lease stays lost")
    }

    static func releaseFreesTheLock(_ harness: LockStoreHarness) async throws {
        let store = harness.store
        let first = try await harness.acquire("released", owner: "a", ttl: .seconds(60))
        #expect(try await store.release(first), "the holder releases")
        #expect(try await store.holder(of: "released") == nil, "free after release")
        #expect(try await !store.release(first), "a second release frees nothing")
        #expect(try await store.renew(first, ttl: .seconds(60)) == nil, "a released lease does not renew")
        let second = try await harness.acquire("released", owner: "b", ttl: .seconds(60))
        #expect(second.token > first.token)
        #expect(try await !store.release(first), "the old lease does not release the new holder's lock")
        expectSame(try await store.holder(of: "released"), second)
        #expect(try await store.release(second))
        let third = try await harness.acquire("released", owner: "a", ttl: .seconds(60))
        #expect(third.token > second.token, "the first owner again, after a release: a higher token still")
    }

    static func renewExtendsCurrentLease(_ harness: LockStoreHarness) async throws {
        let store = harness.store
        let lease = try await harness.acquire("renewed", owner: "a", ttl: .seconds(30))
        harness.advance(by: .seconds(25))
        let renewed = try #require(try await store.renew(lease, ttl: .seconds(60)), "a current lease renews")
        #expect(renewed.token == lease.token)
        #expect(renewed.owner == "a")
        #expect(renewed.name == "renewed")
        expectClose(renewed.expiresAt, harness.now.addingTimeInterval(60), "renewed to the new ttl from now")
        harness.advance(by: .seconds(59))
        expectSame(try await store.holder(of: "renewed"), renewed, "held to the renewed expiry")
        #expect(try await store.acquire("renewed", owner: "b", ttl: .seconds(30)) == nil)
        // Renewing with the lease from before the renewal works too: owner and token are what count.
        let again = try #require(try await store.renew(lease, ttl: .seconds(10)), "an older copy renews too")
        #expect(again.token == lease.token)
        harness.advance(by: .seconds(10))
        #expect(try await store.renew(again, ttl: .seconds(10)) == nil, "an expired lease does not renew")
        #expect(try await store.holder(of: "renewed") == nil)
    }

    static func staleLeaseChangesNothing(_ harness: LockStoreHarness) async throws {
        let store = harness.store
        let stale = try await harness.acquire("fenced", owner: "a", ttl: .seconds(10))
        harness.advance(by: .seconds(10))
        let current = try await harness.acquire("fenced", owner: "b", ttl: .seconds(30))
        #expect(try await store.renew(stale, ttl: .seconds(30)) == nil, "the stale lease does not renew")
        #expect(try await !store.release(stale), "the stale lease does not release")
        expectSame(try await store.holder(of: "fenced"), current, "the new holder is untouched")

        // The same owner with an old token: only the current token counts.
        #expect(try await store.release(current))
        let sameOwner = try await harness.acquire("fenced", owner: "a", ttl: .seconds(30))
        #expect(sameOwner.token > current.token)
        #expect(try await store.renew(stale, ttl: .seconds(30)) == nil, "an old token of the same owner")
        #expect(try await !store.release(stale), "an old token of the same owner")
        var forged = sameOwner
        forged.owner = "b"
        #expect(try await store.renew(forged, ttl: .seconds(30)) == nil, "the current token with another owner")
        #expect(try await !store.release(forged), "the current token with another owner")
        forged = sameOwner
        forged.name = "fenced-other"
        #expect(try await !store.release(forged), "another lock's name")
        expectSame(try await store.holder(of: "fenced"), sameOwner, "the holder is untouched")
    }

    static func holderReportsCurrentLease(_ harness: LockStoreHarness) async throws {
        let store = harness.store
        #expect(try await store.holder(of: "status") == nil, "never taken")
        let lease = try await harness.acquire("status", owner: "a", ttl: .seconds(30))
        expectSame(try await store.holder(of: "status"), lease)
        harness.advance(by: .seconds(29))
        expectSame(try await store.holder(of: "status"), lease)
        harness.advance(by: .seconds(1))
        #expect(try await store.holder(of: "status") == nil, "expired at expiresAt")
        let next = try await harness.acquire("status", owner: "b", ttl: .seconds(30))
        expectSame(try await store.holder(of: "status"), next)
        #expect(try await store.release(next))
        #expect(try await store.holder(of: "status") == nil, "released")
    }

    static func concurrentAcquirersOneWins(_ harness: LockStoreHarness) async throws {
        let store = harness.store
        var lastToken: Int64 = 0
        for round in 0..<3 {
            let winners = try await withThrowingTaskGroup(of: LockLease?.self) { group in
                for index in 0..<20 {
                    group.addTask { try await store.acquire("contended", owner: "owner-\(index)", ttl: .seconds(60)) }
                }
                return try await group.reduce(into: [LockLease]()) { winners, lease in
                    if let lease { winners.append(lease) }
                }
            }
            #expect(winners.count == 1, "round \(round): exactly one of 20 acquirers wins, got \(winners)")
            let winner = try #require(winners.first)
            #expect(winner.token > lastToken, "round \(round): a higher token than the last round's")
            expectSame(try await store.holder(of: "contended"), winner)
            #expect(try await store.release(winner))
            lastToken = winner.token
        }
    }

    static func namesAreIndependent(_ harness: LockStoreHarness) async throws {
        let store = harness.store
        let x = try await harness.acquire("jobs.x", owner: "a", ttl: .seconds(60))
        let y = try await harness.acquire("jobs.y", owner: "b", ttl: .seconds(60))
        #expect(try await store.acquire("jobs.y", owner: "a", ttl: .seconds(60)) == nil)
        #expect(try await store.acquire("jobs.x", owner: "b", ttl: .seconds(60)) == nil)
        // Names are compared exactly: no prefixes, patterns or case folding.
        let upper = try await harness.acquire("JOBS.X", owner: "c", ttl: .seconds(60))
        let wildcard = try await harness.acquire("jobs.*", owner: "c", ttl: .seconds(60))
        #expect(try await store.release(x))
        expectSame(try await store.holder(of: "jobs.y"), y, "releasing one lock leaves another")
        expectSame(try await store.holder(of: "JOBS.X"), upper)
        expectSame(try await store.holder(of: "jobs.*"), wildcard)
        #expect(try await store.holder(of: "jobs.x") == nil)
        #expect(try await store.holder(of: "jobs") == nil)
        let unicode = try await harness.acquire("réunion.日報", owner: "ünïcode", ttl: .seconds(60))
        expectSame(try await store.holder(of: "réunion.日報"), unicode, "names and owners in any script")
    }

    static func tokensSurviveRestart(_ harness: LockStoreHarness) async throws {
        let released = try await harness.acquire("durable.released", owner: "a", ttl: .seconds(600))
        #expect(try await harness.store.release(released))
        let held = try await harness.acquire("durable.held", owner: "a", ttl: .seconds(600))
        try await harness.reopen()
        let store = harness.store
        let next = try await harness.acquire("durable.released", owner: "b", ttl: .seconds(600))
        #expect(next.token > released.token, "a token is never reused, also after a restart")
        expectSame(try await store.holder(of: "durable.held"), held, "a lease outlives a restart of its store")
        #expect(try await store.acquire("durable.held", owner: "b", ttl: .seconds(600)) == nil)
        let renewed = try #require(try await store.renew(held, ttl: .seconds(600)), "the holder renews after a restart")
        #expect(renewed.token == held.token)
        #expect(try await store.release(renewed))
    }

    static func invalidArgumentsAreRejected(_ harness: LockStoreHarness) async throws {
        let store = harness.store
        let longest = String(repeating: "n", count: LockValidation.maximumNameLength)
        let tooLong = longest + "n"
        // 128 two-byte characters: 128 characters, but 256 bytes of UTF-8.
        let tooLongInBytes = String(repeating: "é", count: 128)
        for (what, name) in [("an empty name", ""), ("a 256-byte name", tooLong), ("256 bytes of é", tooLongInBytes)] {
            await harness.expectInvalid("acquire with \(what)") {
                _ = try await store.acquire(name, owner: "a", ttl: .seconds(10))
            }
            await harness.expectInvalid("holder of \(what)") { _ = try await store.holder(of: name) }
        }
        await harness.expectInvalid("an empty owner") {
            _ = try await store.acquire("ok", owner: "", ttl: .seconds(10))
        }
        await harness.expectInvalid("a 256-byte owner") {
            _ = try await store.acquire("ok", owner: tooLong, ttl: .seconds(10))
        }
        let badTTLs: [Duration] = [
            .zero, .seconds(-1), LockValidation.maximumTTL + .nanoseconds(1), .seconds(86_400 * 365),
        ]
        for ttl in badTTLs {
            await harness.expectInvalid("acquire with ttl \(ttl)") {
                _ = try await store.acquire("ok", owner: "a", ttl: ttl)
            }
        }
        #expect(try await store.holder(of: "ok") == nil, "nothing was taken by the rejected calls")

        // The limits themselves are allowed.
        let named = try await harness.acquire(longest, owner: longest, ttl: LockValidation.maximumTTL)
        expectSame(try await store.holder(of: longest), named)
        let short = try await harness.acquire("ok", owner: "a", ttl: .seconds(60))
        for ttl in badTTLs {
            await harness.expectInvalid("renew with ttl \(ttl)") { _ = try await store.renew(short, ttl: ttl) }
        }
        #expect(try await store.release(short), "a rejected renew leaves the lease as it was")
    }
}
