import Foundation
import Herald

/// A store that keeps event `data` encrypted with AES-256-GCM (an ``EventEncryptor``) in the store underneath,
/// and decrypts it on every read: reads, follows, consumer-group polls and dead letters. `herald serve
/// --encrypt-at-rest KEYID:BASE64KEY` serves through one.
///
/// What is encrypted is the data only: attributes and extensions stay readable, so that filters, topics,
/// idempotence and ordering keep working, and they are visible to whoever reads the store's files. An event the
/// publisher encrypted end to end (it has `enckeyid`) is stored as it came, since its data is ciphertext already,
/// and is returned as it came. The wrapper marks what it encrypted with the extensions `atrestkeyid` and
/// `atresttype` (the original content type), which it removes on reads; an event that arrives carrying them is
/// refused.
///
/// Keep previous keys in the encryptor after rotating: an event whose key is gone cannot be read, and a read
/// that meets one fails with ``EventLogError/Code-swift.struct/storage``.
public struct EncryptedAtRestStore: EventLog, ConsumerGroupStore, ScheduleStore, LockStore {
    /// The extension naming the key an event's data is encrypted with at rest.
    public static let keyIDAttribute = "atrestkeyid"
    /// The extension keeping the original `datacontenttype` of data encrypted at rest.
    public static let contentTypeAttribute = "atresttype"
    private static let endToEndKeyID = "enckeyid"
    private static let endToEndContentType = "enccontenttype"

    /// The store underneath, which sees only ciphertext.
    public let base: any EventLog & ConsumerGroupStore
    private let encryptor: EventEncryptor

    /// Wraps `base`, encrypting with `encryptor`'s current key and decrypting with any of its keys.
    ///
    /// Schedules and locks pass through to `base` when it keeps them; when it does not, their operations
    /// throw ``EventLogError/Code-swift.struct/invalidArgument``.
    public init(base: any EventLog & ConsumerGroupStore, encryptor: EventEncryptor) {
        self.base = base
        self.encryptor = encryptor
    }

    /// `event` as it is stored: its data encrypted, unless it has none or is encrypted end to end.
    ///
    /// - Throws: ``EventLogError/Code-swift.struct/invalidArgument`` for an event that carries this store's
    ///   marker extensions.
    public func sealed(_ event: Event) throws -> Event {
        for name in [Self.keyIDAttribute, Self.contentTypeAttribute] where event.extensions[name] != nil {
            throw EventLogError(
                .invalidArgument,
                "event '\(event.id.prefix(128))' carries the extension '\(name)', which this server keeps for "
                    + "encryption at rest; remove it")
        }
        guard event.data != nil, event.extensions[Self.endToEndKeyID] == nil else { return event }
        // The encryptor writes `enccontenttype`; a publisher's own extension of that name is set aside and put back.
        var plain = event
        let publisherContentType = plain.extensions.removeValue(forKey: Self.endToEndContentType)
        var sealed = try encryptor.encrypt(plain)
        sealed.extensions[Self.keyIDAttribute] = sealed.extensions.removeValue(forKey: Self.endToEndKeyID)
        sealed.extensions[Self.contentTypeAttribute] = sealed.extensions.removeValue(forKey: Self.endToEndContentType)
        sealed.extensions[Self.endToEndContentType] = publisherContentType
        return sealed
    }

    /// `event` as it was appended: its data decrypted if this store encrypted it.
    ///
    /// - Throws: ``EventLogError/Code-swift.struct/storage`` when the key is unknown or the data was changed.
    public func opened(_ event: Event) throws -> Event {
        guard let keyID = event.extensions[Self.keyIDAttribute] else { return event }
        var sealed = event
        let publisherContentType = sealed.extensions.removeValue(forKey: Self.endToEndContentType)
        sealed.extensions[Self.keyIDAttribute] = nil
        sealed.extensions[Self.endToEndKeyID] = keyID
        sealed.extensions[Self.endToEndContentType] = sealed.extensions.removeValue(forKey: Self.contentTypeAttribute)
        do {
            var opened = try encryptor.decrypt(sealed)
            opened.extensions[Self.endToEndContentType] = publisherContentType
            return opened
        } catch {
            throw EventLogError(
                .storage,
                "cannot decrypt the data of stored event '\(event.id.prefix(128))' (encrypted at rest): "
                    + "\(error.message); configure the key it was encrypted with (--encrypt-at-rest)")
        }
    }

    private func opened(_ stored: StoredEvent) throws -> StoredEvent {
        var stored = stored
        stored.event = try opened(stored.event)
        return stored
    }

    // MARK: EventLog

    public func append(_ events: [Event], expecting expectation: StreamExpectation?) async throws -> [AppendResult] {
        try await base.append(events.map(sealed), expecting: expectation)
    }

    public func read(after sequence: Int64, filter: EventFilter, limit: Int) async throws -> EventPage {
        var page = try await base.read(after: sequence, filter: filter, limit: limit)
        page.events = try page.events.map(opened)
        return page
    }

    public func lastSequence() async throws -> Int64 { try await base.lastSequence() }

    public func streamVersion(_ stream: String) async throws -> Int { try await base.streamVersion(stream) }

    public func waitForEvents(after sequence: Int64, timeout: Duration) async throws -> Bool {
        try await base.waitForEvents(after: sequence, timeout: timeout)
    }

    public func applyRetention(_ policies: [RetentionPolicy]) async throws -> Int {
        try await base.applyRetention(policies)
    }

    public func eventTypes() async throws -> [EventTypeSummary] { try await base.eventTypes() }

    // MARK: ConsumerGroupStore

    public func createGroup(_ configuration: ConsumerGroupConfiguration) async throws -> Bool {
        try await base.createGroup(configuration)
    }

    public func deleteGroup(named name: String) async throws -> Bool { try await base.deleteGroup(named: name) }

    public func groupInfo(named name: String) async throws -> ConsumerGroupInfo? {
        try await base.groupInfo(named: name)
    }

    public func groups() async throws -> [ConsumerGroupInfo] { try await base.groups() }

    public func poll(group: String, max: Int, wait: Duration) async throws -> [Delivery] {
        try await base.poll(group: group, max: max, wait: wait).map { delivery in
            var delivery = delivery
            delivery.stored = try opened(delivery.stored)
            return delivery
        }
    }

    public func poll(group: String, max: Int, wait: Duration, acknowledging: [String]) async throws -> PollResult {
        var result = try await base.poll(group: group, max: max, wait: wait, acknowledging: acknowledging)
        result.deliveries = try result.deliveries.map { delivery in
            var delivery = delivery
            delivery.stored = try opened(delivery.stored)
            return delivery
        }
        return result
    }

    public func seek(group: String, to position: ConsumerGroupConfiguration.StartPosition) async throws -> Int64 {
        try await base.seek(group: group, to: position)
    }

    public func ack(group: String, deliveryIDs: [String]) async throws -> Int {
        try await base.ack(group: group, deliveryIDs: deliveryIDs)
    }

    public func nack(group: String, deliveryIDs: [String], delay: Duration, error: String?) async throws -> Int {
        try await base.nack(group: group, deliveryIDs: deliveryIDs, delay: delay, error: error)
    }

    public func deadLetters(group: String, limit: Int) async throws -> [DeadLetteredEvent] {
        try await base.deadLetters(group: group, limit: limit).map { letter in
            var letter = letter
            letter.stored = try opened(letter.stored)
            return letter
        }
    }

    public func requeueDeadLetters(group: String, sequences: [Int64]?) async throws -> Int {
        try await base.requeueDeadLetters(group: group, sequences: sequences)
    }

    public func ackReturningIDs(group: String, deliveryIDs: [String]) async throws -> Set<String> {
        try await base.ackReturningIDs(group: group, deliveryIDs: deliveryIDs)
    }

    public func nackReturningIDs(group: String, deliveryIDs: [String], delay: Duration, error: String?) async throws
        -> Set<String>
    {
        try await base.nackReturningIDs(group: group, deliveryIDs: deliveryIDs, delay: delay, error: error)
    }

    // MARK: ScheduleStore and LockStore, when the base keeps them

    private func schedules<Result>(_ body: (any ScheduleStore) async throws -> Result) async throws -> Result {
        guard let store = base as? any ScheduleStore else {
            throw EventLogError(.invalidArgument, "the store under encryption at rest keeps no schedules")
        }
        return try await body(store)
    }

    private func locks<Result>(_ body: (any LockStore) async throws -> Result) async throws -> Result {
        guard let store = base as? any LockStore else {
            throw EventLogError(.invalidArgument, "the store under encryption at rest keeps no locks")
        }
        return try await body(store)
    }

    public func saveSchedule(_ schedule: Schedule) async throws -> (stored: StoredSchedule, created: Bool) {
        try await schedules { try await $0.saveSchedule(schedule) }
    }

    public func schedule(named name: String) async throws -> StoredSchedule? {
        try await schedules { try await $0.schedule(named: name) }
    }

    public func schedules() async throws -> [StoredSchedule] { try await schedules { try await $0.schedules() } }

    public func deleteSchedule(named name: String) async throws -> Bool {
        try await schedules { try await $0.deleteSchedule(named: name) }
    }

    public func setSchedulePaused(named name: String, _ paused: Bool) async throws -> StoredSchedule? {
        try await schedules { try await $0.setSchedulePaused(named: name, paused) }
    }

    public func recordScheduleFiring(named name: String, revision: Int64, firedAt: Date?, nextFireAt: Date?)
        async throws -> Bool
    {
        try await schedules {
            try await $0.recordScheduleFiring(named: name, revision: revision, firedAt: firedAt, nextFireAt: nextFireAt)
        }
    }

    public func acquire(_ name: String, owner: String, ttl: Duration) async throws -> LockLease? {
        try await locks { try await $0.acquire(name, owner: owner, ttl: ttl) }
    }

    public func renew(_ lease: LockLease, ttl: Duration) async throws -> LockLease? {
        try await locks { try await $0.renew(lease, ttl: ttl) }
    }

    public func release(_ lease: LockLease) async throws -> Bool { try await locks { try await $0.release(lease) } }

    public func holder(of name: String) async throws -> LockLease? { try await locks { try await $0.holder(of: name) } }
}
