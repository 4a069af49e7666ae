import Foundation
import Herald

/// Writes JSON objects that carry an event in its structured CloudEvents form, written by
/// `Event.jsonData()` as `/v1/events` does, beside fields encoded with `JSONEncoder`.
enum EventCarryingJSON {
    /// `fields` as a JSON object (sorted keys) with a last member `"event"` holding `event`.
    ///
    /// `fields` must encode as a JSON object.
    static func object(_ fields: some Encodable, event: Event) -> Data {
        var data = encode(fields)
        // Reopen the object: drop its closing brace, then add the event and close it again. (Fields that do not
        // encode as an object, which no caller passes, are answered as they are.)
        guard data.last == UInt8(ascii: "}") else { return data }
        data.removeLast()
        if data.count > 1 { data.append(UInt8(ascii: ",")) }
        data.append(contentsOf: #""event":"#.utf8)
        data.append(event.jsonData())
        data.append(UInt8(ascii: "}"))
        return data
    }

    /// `{"<key>":[item,...]}` from items that are JSON values already.
    static func list(_ key: String, _ items: [Data]) -> Data {
        var data = Data("{".utf8)
        data.append(contentsOf: "\"\(key)\":[".utf8)
        for (index, item) in items.enumerated() {
            if index > 0 { data.append(UInt8(ascii: ",")) }
            data.append(item)
        }
        data.append(contentsOf: "]}".utf8)
        return data
    }

    /// The answer to a poll, `{"acks":…,"deliveries":[…]}` (`acks` only when the poll carried some), each
    /// delivery `{"attempt":…,"delivery_id":…,"sequence":…,"event":{…}}` as ``object(_:event:)`` would write
    /// it; written straight into one buffer, since it is the hottest answer there is.
    static func pollAnswer(_ deliveries: [Delivery], acks: SettleResults?) -> Data {
        var writer = JSONWriter()
        writer.writeRaw("{")
        if let acks {
            writer.writeRaw(#""acks":"#)
            acks.write(to: &writer)
            writer.writeRaw(",")
        }
        writer.writeRaw(#""deliveries":["#)
        for (index, delivery) in deliveries.enumerated() {
            writer.writeRaw(index == 0 ? #"{"attempt":"# : #",{"attempt":"#)
            writer.writeRaw(String(delivery.attempt))
            writer.writeMemberName("delivery_id")
            writer.writeString(delivery.id)
            writer.writeMemberName("sequence")
            writer.writeRaw(String(delivery.sequence))
            writer.writeMemberName("event")
            delivery.event.write(to: &writer)
            writer.writeRaw("}")
        }
        writer.writeRaw("]}")
        return Data(writer.bytes)
    }

    /// `value` as JSON with sorted keys and unescaped slashes, as the other responses are.
    static func encode(_ value: some Encodable) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // The response types hold strings, integers, doubles and booleans only: encoding cannot fail.
        return (try? encoder.encode(value)) ?? Data("{}".utf8)
    }
}
