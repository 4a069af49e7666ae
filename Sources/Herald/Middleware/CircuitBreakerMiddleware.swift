import Logging
import Synchronization

/// Stops calling a failing handler for a while, so a broken dependency is not hammered.
///
/// The circuit starts closed: calls go through, and `failureThreshold` consecutive failures open it.
/// While open, calls throw ``CircuitOpenError`` at once without calling the next handler. After
/// `openDuration` the circuit is half-open: one trial call at a time goes through while the others fail
/// fast; the trial's success closes the circuit, its failure opens it again for `openDuration`.
///
/// `CancellationError` is not a failure of the handler and leaves the circuit as it is. A call that was
/// let through while the circuit was closed and ends after it opened does not change it.
///
/// Every handler wrapped by the same instance shares the one circuit; give each handler its own instance
/// to break them separately.
public struct CircuitBreakerMiddleware: EventMiddleware {
    /// How many consecutive failures open the circuit.
    public let failureThreshold: Int
    /// How long the circuit stays open before a trial call.
    public let openDuration: Duration
    private let clock: ElapsedClock
    private let circuit: Circuit

    /// Creates a circuit breaker that opens after `failureThreshold` consecutive failures, for
    /// `openDuration` on `clock`.
    public init(
        failureThreshold: Int = 5,
        openDuration: Duration = .seconds(30),
        clock: any Clock<Duration> = ContinuousClock()
    ) {
        precondition(failureThreshold >= 1, "CircuitBreakerMiddleware: failureThreshold must be at least 1")
        precondition(openDuration > .zero, "CircuitBreakerMiddleware: openDuration must be positive")
        self.failureThreshold = failureThreshold
        self.openDuration = openDuration
        self.clock = ElapsedClock(clock)
        self.circuit = Circuit()
    }

    public func handle(_ event: Event, context: HandlerContext, next: EventHandler) async throws -> [Event] {
        let pass = circuit.state.withLock { $0.admit(now: clock.now()) }
        let call: State.Call
        switch pass {
        case .admitted(let admitted):
            call = admitted
        case .refused(let remaining):
            throw CircuitOpenError(handlerName: context.handlerName, remaining: remaining)
        }
        do {
            let events = try await next(event, context)
            let closed = circuit.state.withLock { $0.succeeded(call) }
            if closed { context.logger.info("circuit closed after a successful trial call") }
            return events
        } catch let error as CancellationError {
            circuit.state.withLock { $0.cancelled(call) }
            throw error
        } catch {
            let opened = circuit.state.withLock { state in
                state.failed(call, now: clock.now(), threshold: failureThreshold, openDuration: openDuration)
            }
            if opened {
                context.logger.warning(
                    "circuit opened",
                    metadata: ["open_for": "\(openDuration)", "error": "\(error)"]
                )
            }
            throw error
        }
    }

    private struct State {
        enum Phase {
            case closed(consecutiveFailures: Int)
            case open(until: Duration)
            case halfOpen(trialInFlight: Bool)
        }

        /// How a call was let through, which decides what its outcome does to the circuit.
        enum Call {
            case normal
            case trial
        }

        enum Admission {
            case admitted(Call)
            /// Refused; the circuit lets a trial call through after `remaining`, or when the trial in
            /// flight fails if `remaining` is zero.
            case refused(remaining: Duration)
        }

        var phase = Phase.closed(consecutiveFailures: 0)

        mutating func admit(now: Duration) -> Admission {
            switch phase {
            case .closed:
                return .admitted(.normal)
            case .open(let until) where now < until:
                return .refused(remaining: until - now)
            case .open, .halfOpen(trialInFlight: false):
                phase = .halfOpen(trialInFlight: true)
                return .admitted(.trial)
            case .halfOpen(trialInFlight: true):
                return .refused(remaining: .zero)
            }
        }

        /// Records a success; returns whether it closed the circuit.
        mutating func succeeded(_ call: Call) -> Bool {
            switch (call, phase) {
            case (.trial, _):
                phase = .closed(consecutiveFailures: 0)
                return true
            case (.normal, .closed):
                phase = .closed(consecutiveFailures: 0)
                return false
            case (.normal, _):
                return false
            }
        }

        /// Records a failure; returns whether it opened the circuit.
        mutating func failed(_ call: Call, now: Duration, threshold: Int, openDuration: Duration) -> Bool {
            switch (call, phase) {
            case (.trial, _):
                phase = .open(until: now + openDuration)
                return true
            case (.normal, .closed(let failures)) where failures + 1 >= threshold:
                phase = .open(until: now + openDuration)
                return true
            case (.normal, .closed(let failures)):
                phase = .closed(consecutiveFailures: failures + 1)
                return false
            case (.normal, _):
                return false
            }
        }

        /// Frees the trial slot of a cancelled trial call, so the next call can try.
        mutating func cancelled(_ call: Call) {
            if case .trial = call { phase = .halfOpen(trialInFlight: false) }
        }
    }

    /// The circuit every copy of the middleware shares.
    private final class Circuit: Sendable {
        let state = Mutex(State())
    }
}

/// Thrown by ``CircuitBreakerMiddleware`` instead of calling a handler whose circuit is open.
public struct CircuitOpenError: Error, CustomStringConvertible {
    /// The handler that was not called.
    public var handlerName: String
    /// How long until the circuit lets a trial call through; zero while a trial call is in flight.
    public var remaining: Duration

    /// Creates the error for `handlerName`, whose circuit admits a trial call after `remaining`.
    public init(handlerName: String, remaining: Duration) {
        self.handlerName = handlerName
        self.remaining = remaining
    }

    public var description: String {
        if remaining > .zero {
            "circuit for handler '\(handlerName)' is open for another \(remaining) after repeated failures; "
                + "the event can be retried or redelivered after that"
        } else {
            "circuit for handler '\(handlerName)' is half-open and a trial call is in flight; "
                + "the event can be retried or redelivered once the trial succeeds"
        }
    }
}
