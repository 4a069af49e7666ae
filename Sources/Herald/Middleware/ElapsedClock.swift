/// A clock read as the time elapsed since this value was made.
///
/// Middleware that keeps timestamps in shared state (expiry, token buckets, open circuits) stores them
/// as plain `Duration`s this way, whatever `Instant` type the injected clock has.
struct ElapsedClock: Sendable {
    /// The time elapsed since this value was made.
    let now: @Sendable () -> Duration
    /// Sleeps for a duration on the underlying clock; throws `CancellationError` when cancelled.
    let sleep: @Sendable (Duration) async throws -> Void

    init(_ clock: any Clock<Duration>) {
        (now, sleep) = Self.readings(of: clock)
    }

    private static func readings<C: Clock<Duration>>(
        of clock: C
    ) -> (@Sendable () -> Duration, @Sendable (Duration) async throws -> Void) {
        let origin = clock.now
        return ({ origin.duration(to: clock.now) }, { try await clock.sleep(for: $0) })
    }
}
