import Foundation
import Herald
import PostgresNIO

extension PostgresEventStore {
    /// How the store connects to PostgreSQL and where it keeps its tables.
    public struct Configuration: Sendable {
        /// The schema that holds Herald's tables; created when missing. Several Herald clusters can share
        /// one database with one schema each. Letters, digits and underscores, starting with a letter or an
        /// underscore, at most 40 characters.
        public var schema: String
        /// The most connections each node opens for its operations (one more listens for notifications).
        public var maximumConnections: Int
        /// How long the store may go without getting any connection before an operation that waits for one
        /// fails with ``EventLogError/Code/unavailable``: what a publish during a database outage waits at
        /// most. Waiting behind busy connections while other operations get theirs is load, not an outage,
        /// and does not count.
        public var connectTimeout: Duration
        /// How often waiting readers check the database when no notification came: the fallback for a
        /// lost `NOTIFY` (during a reconnect), so it may be slow.
        public var fallbackPollInterval: Duration
        /// How long an append waits after its commit for its events to become readable before it answers.
        /// Readers see an event once every older transaction of the PostgreSQL cluster has ended (the
        /// store's order), which takes a moment under concurrent writes; waiting lets a client read what it
        /// has just published. A transaction left open elsewhere in the cluster would hold every append for
        /// this long: past it, the append answers, and its events become readable when that transaction ends.
        public var visibilityWait: Duration

        /// Creates a configuration.
        public init(
            schema: String = "herald",
            maximumConnections: Int = 10,
            connectTimeout: Duration = .seconds(5),
            fallbackPollInterval: Duration = .seconds(2),
            visibilityWait: Duration = .seconds(5)
        ) {
            self.schema = schema
            self.maximumConnections = maximumConnections
            self.connectTimeout = connectTimeout
            self.fallbackPollInterval = fallbackPollInterval
            self.visibilityWait = visibilityWait
        }

        func validate() throws {
            guard PostgresTables.isValidSchemaName(schema) else {
                throw EventLogError(
                    .invalidArgument,
                    "schema '\(schema)' is not a plain identifier; use 1 to 40 letters, digits and underscores, "
                        + "starting with a letter or an underscore"
                )
            }
            guard (1...1_000).contains(maximumConnections) else {
                throw EventLogError(
                    .invalidArgument,
                    "maximumConnections must be between 1 and 1000, got \(maximumConnections)"
                )
            }
            guard connectTimeout > .zero, connectTimeout <= .seconds(600) else {
                throw EventLogError(
                    .invalidArgument,
                    "connectTimeout must be above zero and at most 10 minutes, got \(connectTimeout)"
                )
            }
            guard fallbackPollInterval >= .milliseconds(10), fallbackPollInterval <= .seconds(3_600) else {
                throw EventLogError(
                    .invalidArgument,
                    "fallbackPollInterval must be between 10 ms and 1 hour, got \(fallbackPollInterval)"
                )
            }
            guard visibilityWait >= .zero, visibilityWait <= .seconds(600) else {
                throw EventLogError(
                    .invalidArgument,
                    "visibilityWait must be between 0 and 10 minutes, got \(visibilityWait)"
                )
            }
        }
    }
}
