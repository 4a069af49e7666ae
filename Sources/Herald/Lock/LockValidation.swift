import Foundation

/// The argument checks every ``LockStore`` makes, shared so that all backends accept and refuse the same
/// input with the same messages.
///
/// A lock name is 1 to ``maximumNameLength`` bytes of UTF-8; so is an owner. A lease's time to live is
/// above zero and at most ``maximumTTL``.
public enum LockValidation {
    /// The longest lock name or owner, in UTF-8 bytes.
    public static let maximumNameLength = 255
    /// The longest time to live of one lease; renew to hold a lock longer.
    public static let maximumTTL = Duration.seconds(86_400)

    /// Checks the arguments of ``LockStore/acquire(_:owner:ttl:)``.
    ///
    /// - Throws: ``EventLogError`` with ``EventLogError/Code/invalidArgument`` saying what was wrong.
    public static func check(name: String, owner: String, ttl: Duration) throws(EventLogError) {
        try check(name: name)
        try check(text: owner, what: "lock owner", example: "the host name and process id")
        try check(ttl: ttl)
    }

    /// Checks a lock name, as ``LockStore/holder(of:)`` takes it.
    ///
    /// - Throws: ``EventLogError`` with ``EventLogError/Code/invalidArgument`` saying what was wrong.
    public static func check(name: String) throws(EventLogError) {
        try check(text: name, what: "lock name", example: "\"scheduler.nightly-report\"")
    }

    /// Checks the time to live of ``LockStore/renew(_:ttl:)``.
    ///
    /// - Throws: ``EventLogError`` with ``EventLogError/Code/invalidArgument`` saying what was wrong.
    public static func check(ttl: Duration) throws(EventLogError) {
        guard ttl > .zero, ttl <= maximumTTL else {
            throw EventLogError(
                .invalidArgument,
                "lock ttl must be above zero and at most \(maximumTTL) (one day), got \(ttl); pass how long "
                    + "the lock may stay held if its holder dies, such as .seconds(30), and renew to hold it longer"
            )
        }
    }

    /// The lease's expiry for a time to live starting `now`.
    public static func expiry(after now: Date, ttl: Duration) -> Date {
        now.addingTimeInterval(ttl.timeInterval)
    }

    private static func check(text: String, what: String, example: String) throws(EventLogError) {
        guard !text.isEmpty else {
            throw EventLogError(.invalidArgument, "\(what) must not be empty; pass a name such as \(example)")
        }
        let length = text.utf8.count
        guard length <= maximumNameLength else {
            throw EventLogError(
                .invalidArgument,
                "\(what) '\(text.prefix(40))...' is \(length) bytes of UTF-8, more than the \(maximumNameLength) "
                    + "allowed; use a shorter \(what)"
            )
        }
    }
}
