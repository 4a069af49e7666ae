// libFuzzer target for the CloudEvents JSON event and batch formats (what `POST /v1/events` reads in structured
// and batch mode). Built by `scripts/fuzz` together with the sources of `Herald/Event` and `Herald/Topic`; not
// part of the package. `FuzzReplayTests` checks the committed corpus and crashes the same way.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEventJSON(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let input = Data(bytes: start, count: count)
    do {
        requireStableEncoding(try Event.decode(json: input))
    } catch {
        precondition(!error.description.isEmpty, "a refusal must say why")
    }
    do {
        for event in try Event.decodeBatch(json: input) { requireStableEncoding(event) }
    } catch {
        precondition(!error.description.isEmpty, "a refusal must say why")
    }
    return 0
}

/// An accepted event encodes to JSON that decodes again, and encoding that gives the same bytes.
func requireStableEncoding(_ event: Event) {
    let encoded = event.jsonData()
    do {
        let again = try Event.decode(json: encoded)
        precondition(again.jsonData() == encoded, "re-encoding changed \(String(decoding: encoded, as: UTF8.self))")
    } catch {
        preconditionFailure("an accepted event does not decode from its own JSON: \(error)")
    }
}
