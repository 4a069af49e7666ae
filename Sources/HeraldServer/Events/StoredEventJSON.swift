import Foundation
import Herald

/// The JSON form of a stored event wherever the API hands one out, `{"sequence":N,"event":{...}}`, with
/// the event in the structured CloudEvents format that `Event.jsonData()` writes.
///
/// `GET /v1/events` lists these, and every WebSocket stream message is one, so the two never drift apart.
enum StoredEventJSON {
    /// Appends the JSON of the event at `sequence`, given its structured JSON, to `body`.
    static func append(sequence: Int64, eventJSON: Data, to body: inout Data) {
        body.append(contentsOf: #"{"sequence":\#(sequence),"event":"#.utf8)
        body.append(eventJSON)
        body.append(UInt8(ascii: "}"))
    }

    /// The JSON of the event at `sequence`, given its structured JSON.
    static func data(sequence: Int64, eventJSON: Data) -> Data {
        var body = Data()
        body.reserveCapacity(eventJSON.count + 32)
        append(sequence: sequence, eventJSON: eventJSON, to: &body)
        return body
    }
}
