import Foundation

/// The binary mode of the CloudEvents HTTP binding: the attributes in `ce-*` headers, the body as `data`.
extension Event {
    /// The prefix of the headers that carry attributes in binary mode, in lower case.
    public static let binaryModeHeaderPrefix = "ce-"

    /// Decodes and validates an event sent in the binary mode of the CloudEvents HTTP binding.
    ///
    /// Each `ce-NAME` header gives the attribute `NAME`, percent-decoded as the binding requires; other headers
    /// are ignored. `contentType` (the `Content-Type` header) becomes ``dataContentType`` and a non-empty `body`
    /// becomes ``data``. Extensions are read as strings.
    ///
    /// - Parameters:
    ///   - headers: the request's headers, names in lower case (as HTTP field names are compared).
    ///   - contentType: the `Content-Type` header, if any.
    ///   - body: the request body.
    /// - Throws: ``EventDecodingError`` whose reason names the header and the rule it breaks: a header given
    ///   twice, a bad percent escape, a missing or unsupported `ce-specversion`, `ce-datacontenttype` (which
    ///   binary mode carries in `Content-Type`), a bad `ce-time`, or an event ``validate()`` rejects.
    public static func decodeBinaryMode(
        headers: some Sequence<(name: String, value: String)>,
        contentType: String?,
        body: Data
    ) throws(EventDecodingError) -> Event {
        var attributes: [String: String] = [:]
        for (header, rawValue) in headers where header.hasPrefix(binaryModeHeaderPrefix) {
            let name = String(header.dropFirst(binaryModeHeaderPrefix.count))
            guard attributes[name] == nil else {
                throw EventDecodingError(reason: "header '\(header)' appears more than once; send each attribute once")
            }
            guard let value = rawValue.removingPercentEncoding else {
                throw EventDecodingError(
                    reason: "header '\(header)' is not validly percent-encoded: every '%' must start a '%XX' "
                        + "escape of UTF-8 bytes, as in 'caf%C3%A9'; encode a literal '%' as '%25'")
            }
            attributes[name] = value
        }

        guard let specVersion = attributes.removeValue(forKey: "specversion") else {
            throw EventDecodingError(
                reason: "header 'ce-specversion' is required in binary mode; set it to '\(Event.specVersion)'")
        }
        guard specVersion == Event.specVersion else {
            throw EventDecodingError(
                reason: "header 'ce-specversion' must be '\(Event.specVersion)', got "
                    + "\(EventValidationError.quoted(specVersion)); Herald reads CloudEvents \(Event.specVersion) only"
            )
        }
        if attributes["datacontenttype"] != nil {
            throw EventDecodingError(
                reason: "header 'ce-datacontenttype' is not used in binary mode: the Content-Type header carries "
                    + "datacontenttype; remove it and set Content-Type instead")
        }
        var time: Date?
        if let text = attributes.removeValue(forKey: "time") {
            guard let parsed = RFC3339.parse(text) else {
                throw EventDecodingError(
                    reason: "header 'ce-time' must be an RFC 3339 timestamp such as '2018-04-05T17:31:00Z', got "
                        + EventValidationError.quoted(text))
            }
            time = parsed
        }
        let event = Event(
            id: attributes.removeValue(forKey: "id") ?? "",
            source: attributes.removeValue(forKey: "source") ?? "",
            type: attributes.removeValue(forKey: "type") ?? "",
            subject: attributes.removeValue(forKey: "subject"),
            time: time,
            dataContentType: contentType,
            dataSchema: attributes.removeValue(forKey: "dataschema"),
            extensions: attributes.mapValues { .string($0) },
            data: body.isEmpty ? nil : body
        )
        do {
            try event.validate()
        } catch {
            throw EventDecodingError(reason: "header 'ce-\(error.attribute)' \(error.reason)")
        }
        return event
    }
}
