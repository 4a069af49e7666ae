import Foundation
import Herald

/// The body of a successful publish: what the log did with each event, in request order.
///
/// Each entry is `{"duplicate":BOOL,"id":"...",["scheduled":true,]"sequence":N|null,"source":"..."}`, members in
/// that (sorted) order. `sequence` is `null` until a scheduled event comes due, and `scheduled` appears only for
/// scheduled events. Written by hand: publishing is the server's hottest path, and `JSONEncoder` cost a tenth of
/// its CPU.
struct PublishedEvents {
    var results: [AppendResult]

    func jsonData() -> Data {
        var writer = JSONWriter()
        writer.writeRaw(#"{"events":["#)
        for (position, result) in results.enumerated() {
            writer.writeRaw(position == 0 ? #"{"duplicate":"# : #",{"duplicate":"#)
            writer.writeRaw(result.isDuplicate ? "true" : "false")
            writer.writeMemberName("id")
            writer.writeString(result.id)
            switch result.outcome {
            case .scheduled, .duplicateScheduled: writer.writeRaw(#","scheduled":true"#)
            case .stored, .duplicate: break
            }
            writer.writeMemberName("sequence")
            writer.writeRaw(result.sequence.map(String.init) ?? "null")
            writer.writeMemberName("source")
            writer.writeString(result.source)
            writer.writeRaw("}")
        }
        writer.writeRaw("]}")
        return Data(writer.bytes)
    }
}
