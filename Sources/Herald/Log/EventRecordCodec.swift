import Foundation

/// The binary form in which durable stores (SQLite, PostgreSQL) keep an event: every attribute exactly as appended.
///
/// The CloudEvents JSON format is not used because it loses information a reader must get back: typed
/// extension values (`timestamp`, `uri`, `binary`) decode as strings, and timestamps are rounded to the
/// nanosecond. This form keeps each value's type and the exact bits of every `Date`.
///
/// Layout (integers little-endian): a format byte, then `id`, `source`, `type` as strings; `subject`,
/// `datacontenttype`, `dataschema` as optional strings; `time` as an optional double (seconds since the
/// reference date); the extension count and, per extension, its name, a kind byte and the value; then the
/// optional data bytes. A string is a 32-bit length and UTF-8 bytes; an optional is a 0/1 byte before it.
package enum EventRecordCodec {
    package static let format: UInt8 = 1

    private enum Kind: UInt8 {
        case boolean = 1, integer, string, binary, uri, uriReference, timestamp
    }

    package static func encode(_ event: Event) -> Data {
        var writer = Writer()
        writer.bytes.reserveCapacity(64 + event.id.utf8.count + event.type.utf8.count + (event.data?.count ?? 0))
        writer.bytes.append(format)
        writer.string(event.id)
        writer.string(event.source)
        writer.string(event.type)
        writer.optionalString(event.subject)
        writer.optionalString(event.dataContentType)
        writer.optionalString(event.dataSchema)
        if writer.presence(of: event.time) { writer.date(event.time!) }
        writer.integer(UInt32(event.extensions.count))
        for name in event.extensions.keys.sorted() {
            writer.string(name)
            switch event.extensions[name]! {
            case .boolean(let flag):
                writer.bytes.append(Kind.boolean.rawValue)
                writer.bytes.append(flag ? 1 : 0)
            case .integer(let number):
                writer.bytes.append(Kind.integer.rawValue)
                writer.integer(UInt32(bitPattern: number))
            case .string(let text):
                writer.bytes.append(Kind.string.rawValue)
                writer.string(text)
            case .binary(let bytes):
                writer.bytes.append(Kind.binary.rawValue)
                writer.blob(bytes)
            case .uri(let text):
                writer.bytes.append(Kind.uri.rawValue)
                writer.string(text)
            case .uriReference(let text):
                writer.bytes.append(Kind.uriReference.rawValue)
                writer.string(text)
            case .timestamp(let date):
                writer.bytes.append(Kind.timestamp.rawValue)
                writer.date(date)
            }
        }
        if writer.presence(of: event.data) { writer.blob(event.data!) }
        return Data(writer.bytes)
    }

    /// Decodes an event; `nil` when the bytes are not a record this version wrote (a damaged database).
    package static func decode(_ data: Data) -> Event? {
        data.withUnsafeBytes { decode(bytes: $0) }
    }

    /// Decodes an event from bytes that stay valid for the call, such as a database row's buffer, without
    /// copying them first; `nil` when they are not a record this version wrote.
    package static func decode(bytes: UnsafeRawBufferPointer) -> Event? {
        var reader = Reader(bytes: bytes)
        guard reader.byte() == format, let id = reader.string(), let source = reader.string(),
            let type = reader.string(), let subject = reader.optional({ $0.string() }),
            let dataContentType = reader.optional({ $0.string() }),
            let dataSchema = reader.optional({ $0.string() }), let time = reader.optional({ $0.date() }),
            let extensionCount = reader.integer()
        else { return nil }
        var extensions: [String: ExtensionValue] = [:]
        for _ in 0..<extensionCount {
            guard let name = reader.string(), let kind = reader.byte().flatMap(Kind.init(rawValue:)) else { return nil }
            let value: ExtensionValue?
            switch kind {
            case .boolean: value = reader.byte().map { .boolean($0 != 0) }
            case .integer: value = reader.integer().map { .integer(Int32(bitPattern: $0)) }
            case .string: value = reader.string().map(ExtensionValue.string)
            case .binary: value = reader.blob().map(ExtensionValue.binary)
            case .uri: value = reader.string().map(ExtensionValue.uri)
            case .uriReference: value = reader.string().map(ExtensionValue.uriReference)
            case .timestamp: value = reader.date().map(ExtensionValue.timestamp)
            }
            guard let value else { return nil }
            extensions[name] = value
        }
        guard let payload = reader.optional({ $0.blob() }), reader.isAtEnd else { return nil }
        return Event(
            id: id,
            source: source,
            type: type,
            subject: subject,
            time: time,
            dataContentType: dataContentType,
            dataSchema: dataSchema,
            extensions: extensions,
            data: payload
        )
    }

    private struct Writer {
        var bytes: [UInt8] = []

        mutating func integer(_ value: UInt32) {
            withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
        }

        mutating func string(_ text: String) {
            integer(UInt32(text.utf8.count))
            bytes.append(contentsOf: text.utf8)
        }

        mutating func blob(_ data: Data) {
            integer(UInt32(data.count))
            bytes.append(contentsOf: data)
        }

        mutating func date(_ date: Date) {
            withUnsafeBytes(of: date.timeIntervalSinceReferenceDate.bitPattern.littleEndian) {
                bytes.append(contentsOf: $0)
            }
        }

        /// Writes whether `value` is there; the caller writes the value itself when it is.
        mutating func presence(of value: (some Any)?) -> Bool {
            bytes.append(value == nil ? 0 : 1)
            return value != nil
        }

        mutating func optionalString(_ text: String?) {
            if presence(of: text) { string(text!) }
        }
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        var isAtEnd: Bool { offset == bytes.count }

        mutating func take(_ count: Int) -> UnsafeRawBufferPointer? {
            guard count >= 0, bytes.count - offset >= count else { return nil }
            defer { offset += count }
            return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
        }

        mutating func byte() -> UInt8? { take(1)?.first }

        mutating func integer() -> UInt32? {
            take(4).map { $0.reversed().reduce(0) { $0 << 8 | UInt32($1) } }
        }

        mutating func string() -> String? {
            guard let count = integer(), let slice = take(Int(count)) else { return nil }
            return slice.withMemoryRebound(to: UInt8.self) { String(validating: $0, as: UTF8.self) }
        }

        mutating func blob() -> Data? {
            guard let count = integer(), let slice = take(Int(count)) else { return nil }
            return Data(slice)
        }

        mutating func date() -> Date? {
            guard let slice = take(8) else { return nil }
            let bits = slice.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            return Date(timeIntervalSinceReferenceDate: Double(bitPattern: bits))
        }

        /// Reads a presence byte and then the value: `.some(nil)` for an absent value, `nil` for bad bytes.
        mutating func optional<Value>(_ read: (inout Reader) -> Value?) -> Value?? {
            switch byte() {
            case 0: return .some(nil)
            case 1: return read(&self).map { .some($0) }
            default: return nil
            }
        }
    }
}
