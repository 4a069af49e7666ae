import Foundation
import HTTPTypes
import Herald

/// Reads an event sent in the binary mode of the CloudEvents HTTP binding (``Event/decodeBinaryMode(headers:contentType:body:)``)
/// from a request's header fields.
enum BinaryModeEvent {
    /// Whether the request carries binary-mode attributes at all.
    static func isPresent(in headers: HTTPFields) -> Bool {
        headers.contains { $0.name.canonicalName.hasPrefix(Event.binaryModeHeaderPrefix) }
    }

    /// Decodes the event, percent-decoding each header value as the binding requires.
    ///
    /// - Throws: ``ProblemDetails`` (400) naming the header and the rule it breaks.
    static func decode(headers: HTTPFields, contentType: String?, body: Data) throws(ProblemDetails) -> Event {
        do {
            return try Event.decodeBinaryMode(
                headers: headers.lazy.map { (name: $0.name.canonicalName, value: $0.value) },
                contentType: contentType, body: body)
        } catch {
            throw .invalidEvent(error.description)
        }
    }
}
