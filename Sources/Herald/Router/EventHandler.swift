/// A router handler: handles one event and returns the events it causes.
///
/// The router publishes the returned events with `causationid` set to the handled event's id,
/// `correlationid` carried from the first event of the chain, and `hops` one higher. Throwing marks the
/// handling as failed; middleware (retry, dead letter) decides what happens next.
public typealias EventHandler = @Sendable (Event, HandlerContext) async throws -> [Event]
