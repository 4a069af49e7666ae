import Testing

/// Runs the tests that load the whole machine one at a time: those that start servers, browsers or database
/// clusters of their own and drive them flat out.
///
/// Swift Testing starts every test of the package at once, and on two cores a handful of such tests running
/// together left the rest of the suite waiting tens of seconds for a turn. Taking turns here keeps that load to
/// one such test at a time; give the tests that wait here a time limit that covers the others' turns.
package actor HeavyTestGate {
    package static let shared = HeavyTestGate()

    private var busy = false
    private var waiting: [(id: Int, continuation: CheckedContinuation<Void, any Error>)] = []
    private var nextID = 0

    /// Runs `body` once no other heavy test is running.
    package func run<Value: Sendable>(_ body: @Sendable () async throws -> Value) async throws -> Value {
        try await enter()
        defer { leave() }
        return try await body()
    }

    private func enter() async throws {
        guard busy else {
            busy = true
            return
        }
        nextID += 1
        let id = nextID
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                // A cancellation before this point found nothing to cancel: it is seen here instead.
                if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                } else {
                    waiting.append((id, continuation))
                }
            }
        } onCancel: {
            Task { await self.cancel(id) }
        }
    }

    /// Ends the wait of `id`, cancelled before its turn came.
    private func cancel(_ id: Int) {
        guard let index = waiting.firstIndex(where: { $0.id == id }) else { return }
        waiting.remove(at: index).continuation.resume(throwing: CancellationError())
    }

    /// Passes the turn to the longest waiting test.
    private func leave() {
        if waiting.isEmpty {
            busy = false
        } else {
            waiting.removeFirst().continuation.resume()
        }
    }
}

/// The trait of a test that takes its turn at ``HeavyTestGate``: `@Test(.heavy)`.
package struct HeavyTestTrait: TestTrait, TestScoping {
    package func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await HeavyTestGate.shared.run { try await function() }
    }
}

extension Trait where Self == HeavyTestTrait {
    /// Runs the test when no other heavy test is running (``HeavyTestGate``).
    package static var heavy: Self { HeavyTestTrait() }
}
