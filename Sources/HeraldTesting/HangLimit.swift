/// How long a test step may take before it counts as hung rather than slow.
///
/// Swift Testing runs the tests of a suite at once, and on a machine with two cores they share two threads:
/// a step that takes a few milliseconds alone has been seen to wait 17 seconds for its turn under the whole
/// suite. A step that waits on a condition, or guards against a hang, uses this limit: it ends as soon as the
/// condition holds, so the limit costs nothing unless something is stuck. A claim about speed belongs in a
/// benchmark (`herald-bench`, `scripts/bench-peers`), not in a test's deadline.
public let testHangLimit: Duration = .seconds(120)
