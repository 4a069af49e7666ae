import Foundation
import Herald

/// The body of a successful publish: what the log did with each event, in request order.
struct PublishedEvents: Encodable {
    var events: [PublishedEvent]

    func jsonData() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding strings, integers and booleans cannot fail.
        return (try? encoder.encode(self)) ?? Data()
    }
}

/// One event's outcome: `sequence` is `null` until a scheduled event comes due, and `scheduled` appears
/// only for scheduled events.
struct PublishedEvent: Encodable {
    var result: AppendResult

    init(_ result: AppendResult) {
        self.result = result
    }

    private enum CodingKeys: String, CodingKey {
        case id, source, sequence, duplicate, scheduled
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(result.id, forKey: .id)
        try container.encode(result.source, forKey: .source)
        try container.encode(result.sequence, forKey: .sequence)
        try container.encode(result.isDuplicate, forKey: .duplicate)
        switch result.outcome {
        case .scheduled, .duplicateScheduled: try container.encode(true, forKey: .scheduled)
        case .stored, .duplicate: break
        }
    }
}
