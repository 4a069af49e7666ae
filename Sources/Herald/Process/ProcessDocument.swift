import Foundation

/// What ``ProcessManagerRunner`` stores for one instance: the manager's state, the events already handled and
/// the timeouts it waits for. Stored as JSON in ``ProcessRecord/document``.
struct ProcessDocument<State: Codable & Sendable>: Codable, Sendable {
    /// How many handled sequences are remembered: a redelivery of an older event is not recognised. Consumer
    /// groups redeliver an event until it is acknowledged, long before an instance handles this many others.
    static var handledMemory: Int { 256 }

    var state: State
    /// Sequences of the events handled, oldest first.
    var handled: [Int64]
    /// Pending timeouts: name to the id of the timeout event that fires it.
    var timeouts: [String: String]

    init(state: State) {
        self.state = state
        handled = []
        timeouts = [:]
    }

    mutating func recordHandled(_ sequence: Int64) {
        handled.append(sequence)
        if handled.count > Self.handledMemory { handled.removeFirst(handled.count - Self.handledMemory) }
    }

    static func decode(_ data: Data) throws -> ProcessDocument {
        try JSONDecoder().decode(ProcessDocument.self, from: data)
    }

    func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return try encoder.encode(self)
    }
}
