import Foundation

/// The CloudEvents 1.0 JSON event format and JSON batch format.
extension Event {
    /// The media type of one event in the JSON format.
    public static let jsonMediaType = "application/cloudevents+json"
    /// The media type of a batch of events in the JSON batch format.
    public static let jsonBatchMediaType = "application/cloudevents-batch+json"

    /// Decodes and validates one event in the CloudEvents JSON format (`application/cloudevents+json`).
    ///
    /// With a JSON content type (absent, `*/json` or `*/*+json`), ``data`` becomes the exact JSON text of
    /// the `data` member, so `"data": null` gives the four bytes `null` while a missing `data` gives `nil`.
    /// With any other content type `data` must be a JSON string and becomes its UTF-8 bytes; `data_base64`
    /// becomes the bytes it encodes. Members that are not context attributes become extensions: booleans
    /// ``ExtensionValue/boolean(_:)``, integers within `Int32` ``ExtensionValue/integer(_:)``, strings
    /// ``ExtensionValue/string(_:)``. Members whose value is `null` are treated as absent.
    ///
    /// - Throws: ``EventDecodingError`` for malformed JSON (with line and column), a document that is not
    ///   one object, an attribute of the wrong JSON type or value, or an event ``validate()`` rejects.
    public static func decode(json: Data) throws(EventDecodingError) -> Event {
        var parser = JSONParser(json)
        switch try parseDocument(&parser) {
        case .single(.object(let members)):
            return try event(from: members, document: parser.bytes, index: nil)
        case .single(.other(let value)):
            throw EventDecodingError(
                reason: "expected a JSON object holding one event, found \(value.summary)"
            )
        case .batch(let envelopes):
            throw EventDecodingError(
                reason: "expected a JSON object holding one event, found an array (a batch of "
                    + "\(envelopes.count)); decode batches with Event.decodeBatch(json:)"
            )
        }
    }

    /// Decodes and validates a batch in the CloudEvents JSON batch format
    /// (`application/cloudevents-batch+json`): a JSON array of events, each as ``decode(json:)`` reads one.
    ///
    /// - Throws: ``EventDecodingError`` as ``decode(json:)`` does, with ``EventDecodingError/index`` set to
    ///   the position of the first event at fault; a document that is not an array fails as a whole.
    public static func decodeBatch(json: Data) throws(EventDecodingError) -> [Event] {
        var parser = JSONParser(json)
        switch try parseDocument(&parser) {
        case .batch(let envelopes):
            var events: [Event] = []
            events.reserveCapacity(envelopes.count)
            for (index, envelope) in envelopes.enumerated() {
                switch envelope {
                case .object(let members):
                    events.append(try event(from: members, document: parser.bytes, index: index))
                case .other(let value):
                    throw EventDecodingError(
                        index: index,
                        reason: "expected a JSON object holding an event, found \(value.summary)"
                    )
                }
            }
            return events
        case .single(.object):
            throw EventDecodingError(
                reason: "expected a JSON array of events, found a single event object; wrap it in [ ] or "
                    + "decode it with Event.decode(json:)"
            )
        case .single(.other(let value)):
            throw EventDecodingError(reason: "expected a JSON array of events, found \(value.summary)")
        }
    }

    /// Encodes the event in the CloudEvents JSON format (`application/cloudevents+json`), compactly.
    ///
    /// ``data`` is written as the `data` member's JSON value when the content type is JSON (absent,
    /// `*/json` or `*/*+json`) and the bytes are valid JSON; as a JSON string in `data` when the content
    /// type is text (``isTextContentType(_:)``) and the bytes are valid UTF-8, as the CloudEvents JSON format
    /// asks for data that is neither JSON nor binary; otherwise as base64 in `data_base64`. Extensions are written in name order; timestamps in UTC, as
    /// ``RFC3339/format(_:)`` does. Encoding does not validate: call ``validate()`` first if the event
    /// did not come from a path that already did, since an invalid event may not decode again.
    public func jsonData() -> Data {
        var writer = JSONWriter()
        write(to: &writer)
        return Data(writer.bytes)
    }

    /// Encodes events in the CloudEvents JSON batch format (`application/cloudevents-batch+json`), each
    /// as ``jsonData()`` writes it.
    public static func jsonBatchData(_ events: some Sequence<Event>) -> Data {
        var writer = JSONWriter()
        writer.writeRaw("[")
        for (index, event) in events.enumerated() {
            if index > 0 { writer.writeRaw(",") }
            event.write(to: &writer)
        }
        writer.writeRaw("]")
        return Data(writer.bytes)
    }

    /// Whether a `datacontenttype` declares JSON data: absent, or a media type (parameters aside) of the
    /// form `*/json` or `*/*+json`, compared case-insensitively.
    static func isJSONContentType(_ contentType: String?) -> Bool {
        guard let contentType else { return true }
        let isSpace = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        let mediaType = contentType.utf8.prefix { $0 != UInt8(ascii: ";") }.reversed().drop(while: isSpace)
        guard let slash = mediaType.firstIndex(of: UInt8(ascii: "/")) else { return false }
        let reversedSubtype = mediaType[..<slash]
        guard reversedSubtype.count >= 4,
            reversedSubtype.prefix(4).map({ $0 | 0x20 }).elementsEqual("nosj".utf8)
        else { return false }
        return reversedSubtype.count == 4 || reversedSubtype.dropFirst(4).first == UInt8(ascii: "+")
    }

    /// Whether a `datacontenttype` declares text that is not JSON, which the JSON format writes as a string in
    /// `data` rather than as base64: `text/*`, XML (`*/xml`, `*/*+xml`), YAML (`*/yaml`, `*/*+yaml`),
    /// `application/javascript`, `application/ecmascript` and `application/x-www-form-urlencoded`, parameters
    /// aside and compared case-insensitively.
    public static func isTextContentType(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        // Compared byte by byte, lowercased: this runs for every event written with non-JSON data.
        let isSpace = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        let mediaType = Array(
            contentType.utf8.prefix { $0 != UInt8(ascii: ";") }.drop(while: isSpace).reversed().drop(while: isSpace)
                .reversed().map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 })
        guard let slash = mediaType.firstIndex(of: UInt8(ascii: "/")) else { return false }
        let type = mediaType[..<slash]
        let subtype = mediaType[(slash + 1)...]
        if type.elementsEqual("text".utf8) { return !subtype.isEmpty }
        let suffix = subtype.split(separator: UInt8(ascii: "+")).last ?? []
        if suffix.elementsEqual("xml".utf8) || suffix.elementsEqual("yaml".utf8) { return true }
        return type.elementsEqual("application".utf8)
            && ["javascript", "ecmascript", "x-www-form-urlencoded"].contains { subtype.elementsEqual($0.utf8) }
    }

    private static func parseDocument(_ parser: inout JSONParser) throws(EventDecodingError) -> JSONParser.Document {
        do {
            return try parser.parseEventDocument()
        } catch {
            throw EventDecodingError(reason: "the input is not valid JSON (RFC 8259): \(error)")
        }
    }

    private static func event(
        from members: [String: JSONParser.Member],
        document: [UInt8],
        index: Int?
    ) throws(EventDecodingError) -> Event {
        func failure(_ attribute: String, _ reason: String) -> EventDecodingError {
            EventDecodingError(index: index, attribute: attribute, reason: reason)
        }
        func string(_ name: String) throws(EventDecodingError) -> String? {
            switch members[name]?.value {
            case nil, .null: return nil
            case .string(let text): return text
            case let other?: throw failure(name, "must be a JSON string, got \(other.summary)")
            }
        }

        guard let specVersion = try string("specversion") else {
            throw failure("specversion", "is required; set it to \"\(Event.specVersion)\"")
        }
        guard specVersion == Event.specVersion else {
            throw failure(
                "specversion",
                "must be \"\(Event.specVersion)\", got \(EventValidationError.quoted(specVersion)); Herald reads "
                    + "CloudEvents \(Event.specVersion) only"
            )
        }
        var time: Date?
        if let text = try string("time") {
            guard let parsed = RFC3339.parse(text) else {
                throw failure(
                    "time",
                    "must be an RFC 3339 timestamp such as \"2018-04-05T17:31:00Z\", got "
                        + EventValidationError.quoted(text)
                )
            }
            time = parsed
        }
        var event = Event(
            id: try string("id") ?? "",
            source: try string("source") ?? "",
            type: try string("type") ?? "",
            subject: try string("subject"),
            time: time,
            dataContentType: try string("datacontenttype"),
            dataSchema: try string("dataschema")
        )

        for (name, member) in members where !isReservedAttributeName(name) {
            do {
                try validateExtensionName(name)
            } catch {
                throw EventDecodingError(error, index: index)
            }
            switch member.value {
            case .null:
                continue
            case .bool(let flag):
                event.extensions[name] = .boolean(flag)
            case .string(let text):
                event.extensions[name] = .string(text)
            case .integer(let number):
                guard let integer = Int32(exactly: number) else {
                    throw failure(
                        name,
                        "must fit a signed 32-bit integer (the CloudEvents Integer type), got \(number); send "
                            + "larger numbers as a string"
                    )
                }
                event.extensions[name] = .integer(integer)
            case .number, .array, .object:
                throw failure(
                    name,
                    "must be a string, a boolean or a 32-bit integer, got \(member.value.summary); CloudEvents "
                        + "extension values are never objects, arrays or fractions, so send it as a string or "
                        + "move it into 'data'"
                )
            }
        }

        event.data = try payload(members, contentType: event.dataContentType, document: document, index: index)
        do {
            try event.validate()
        } catch {
            throw EventDecodingError(error, index: index)
        }
        return event
    }

    private static func payload(
        _ members: [String: JSONParser.Member],
        contentType: String?,
        document: [UInt8],
        index: Int?
    ) throws(EventDecodingError) -> Data? {
        let base64 = members["data_base64"].flatMap { $0.value == .null ? nil : $0.value }
        switch (members["data"], base64) {
        case (nil, nil):
            return nil
        case (_?, _?):
            throw EventDecodingError(
                index: index,
                attribute: "data_base64",
                reason: "cannot be present together with 'data': an event has one payload; send JSON or text as "
                    + "'data' and binary data as 'data_base64'"
            )
        case (nil, .string(let text)?):
            guard let bytes = Data(base64Encoded: text) else {
                throw EventDecodingError(
                    index: index,
                    attribute: "data_base64",
                    reason: "must be base64 (RFC 4648, with '=' padding and no line breaks), got "
                        + EventValidationError.quoted(text)
                )
            }
            return bytes
        case (nil, let other?):
            throw EventDecodingError(
                index: index,
                attribute: "data_base64",
                reason: "must be a JSON string holding base64, got \(other.summary)"
            )
        case (let member?, nil):
            if isJSONContentType(contentType) { return Data(document[member.text]) }
            guard case .string(let text) = member.value else {
                throw EventDecodingError(
                    index: index,
                    attribute: "data",
                    reason: "must be a JSON string when 'datacontenttype' is "
                        + "\(EventValidationError.quoted(contentType ?? "")), which is not JSON, got "
                        + "\(member.value.summary); declare a JSON content type or send the bytes as 'data_base64'"
                )
            }
            return Data(text.utf8)
        }
    }

    /// Writes the event as ``jsonData()`` does, into `writer`, for answers that carry events among other
    /// members.
    package func write(to writer: inout JSONWriter) {
        writer.writeRaw(#"{"specversion":"#)
        writer.writeString(Event.specVersion)
        let strings = [
            ("id", id), ("source", source), ("type", type), ("datacontenttype", dataContentType),
            ("dataschema", dataSchema), ("subject", subject), ("time", time.map(RFC3339.format)),
        ]
        for case (let name, let value?) in strings {
            writer.writeMemberName(name)
            writer.writeString(value)
        }
        for name in extensions.keys.sorted() {
            writer.writeMemberName(name)
            switch extensions[name]! {
            case .boolean(let flag): writer.writeRaw(flag ? "true" : "false")
            case .integer(let number): writer.writeRaw(String(number))
            case .string(let text), .uri(let text), .uriReference(let text): writer.writeString(text)
            case .binary(let bytes): writer.writeString(bytes.base64EncodedString())
            case .timestamp(let date): writer.writeString(RFC3339.format(date))
            }
        }
        if let data {
            if Self.isJSONContentType(dataContentType), let text = Self.jsonText(of: data) {
                writer.writeMemberName("data")
                writer.writeRaw(text)
            } else if Self.isTextContentType(dataContentType), let text = String(validating: data, as: UTF8.self) {
                writer.writeMemberName("data")
                writer.writeString(text)
            } else {
                writer.writeMemberName("data_base64")
                writer.writeString(data.base64EncodedString())
            }
        }
        writer.writeRaw("}")
    }

    /// The JSON value in `data` without surrounding whitespace, or `nil` when `data` is not one JSON value
    /// (then the event format falls back to `data_base64`, which the spec allows for any binary payload).
    private static func jsonText(of data: Data) -> ArraySlice<UInt8>? {
        var parser = JSONParser(data)
        guard let range = try? parser.parseValueText() else { return nil }
        return parser.bytes[range]
    }
}
