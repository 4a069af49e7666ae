import DequeModule

/// The events of one subscription as an async sequence, from ``EventBus/events(matching:options:)``.
///
/// Iterate it once. The subscription ends when the iterator is dropped or its task is cancelled
/// (iteration then throws `CancellationError`), or after the buffered events when the bus shuts down.
public struct EventStream: AsyncSequence, Sendable {
    public typealias Element = Event
    public typealias Failure = any Error

    /// The subscription behind the stream; cancel it to end the stream from elsewhere.
    public let subscription: Subscription

    init(subscription: Subscription) {
        self.subscription = subscription
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(lifetime: Lifetime(subscription: subscription))
    }

    /// Reads events from the stream's buffer, a batch at a time.
    public struct Iterator: AsyncIteratorProtocol {
        fileprivate let lifetime: Lifetime
        private var batch = Deque<Event>()
        private var taken = 0
        private var waited = false

        fileprivate init(lifetime: Lifetime) {
            self.lifetime = lifetime
        }

        public mutating func next() async throws -> Event? {
            if let event = batch.popFirst() { return event }
            let mailbox = lifetime.subscription.mailbox
            let more = await withTaskCancellationHandler {
                await mailbox.next(into: &batch, completed: taken, failed: 0, waited: &waited)
            } onCancel: {
                mailbox.wakeConsumers()
            }
            taken = batch.count
            if Task.isCancelled {
                lifetime.subscription.cancel()
                throw CancellationError()
            }
            return more ? batch.popFirst() : nil
        }
    }

    /// Cancels the subscription when the last copy of an iterator goes away.
    fileprivate final class Lifetime: Sendable {
        let subscription: Subscription

        init(subscription: Subscription) {
            self.subscription = subscription
        }

        deinit { subscription.cancel() }
    }
}
