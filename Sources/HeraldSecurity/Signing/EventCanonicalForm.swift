import Foundation
import Herald

/// The bytes an event signature covers: every context attribute except `signature` itself, and the data.
///
/// The form (version 1) is, in UTF-8:
///
/// ```
/// herald-signature-v1\n
/// NAME:LENGTH:VALUE\n     one line per attribute present, sorted by name (byte order)
/// data:LENGTH:BYTES       the data bytes (LENGTH 0 and no bytes when the event has none)
/// ```
///
/// `LENGTH` is the decimal byte count of what follows it, so no value can be mistaken for another line.
/// Attributes are `id`, `source`, `specversion` (`1.0`), `type`, and when present `datacontenttype`,
/// `dataschema`, `subject`, `time` and every extension but `signature`. Values are their canonical strings, the
/// ones the JSON format carries: `time` and timestamps in RFC 3339 (``RFC3339/format(_:)``), binary in base64,
/// booleans `true`/`false`, integers in decimal. So an event signed before it crosses HTTP, in either JSON or
/// binary mode, verifies after.
public enum EventCanonicalForm {
    /// The extension that holds the signature (base64).
    public static let signatureAttribute = "signature"
    /// The extension that names the signing key.
    public static let keyIDAttribute = "sigkeyid"
    /// The extension that names the algorithm (`hmac-sha256` or `ed25519`); it is signed too.
    public static let algorithmAttribute = "sigalg"

    /// The canonical bytes of `event`.
    public static func bytes(of event: Event) -> Data {
        var attributes: [(String, String)] = [
            ("id", event.id), ("source", event.source), ("specversion", "1.0"), ("type", event.type),
        ]
        if let value = event.dataContentType { attributes.append(("datacontenttype", value)) }
        if let value = event.dataSchema { attributes.append(("dataschema", value)) }
        if let value = event.subject { attributes.append(("subject", value)) }
        if let value = event.time { attributes.append(("time", RFC3339.format(value))) }
        for (name, value) in event.extensions where name != signatureAttribute {
            attributes.append((name, canonicalString(value)))
        }
        attributes.sort { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }
        var bytes = Data("herald-signature-v1\n".utf8)
        for (name, value) in attributes {
            bytes.append(contentsOf: Array("\(name):\(value.utf8.count):".utf8))
            bytes.append(contentsOf: Array(value.utf8))
            bytes.append(0x0A)
        }
        let data = event.data ?? Data()
        bytes.append(contentsOf: Array("data:\(data.count):".utf8))
        bytes.append(data)
        return bytes
    }

    private static func canonicalString(_ value: ExtensionValue) -> String {
        switch value {
        case .boolean(let flag): flag ? "true" : "false"
        case .integer(let number): String(number)
        case .string(let text), .uri(let text), .uriReference(let text): text
        case .binary(let bytes): bytes.base64EncodedString()
        case .timestamp(let date): RFC3339.format(date)
        }
    }
}
