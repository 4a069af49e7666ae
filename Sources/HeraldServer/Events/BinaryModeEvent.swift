import Foundation
import HTTPTypes
import Herald

/// Reads an event sent in the binary mode of the CloudEvents HTTP binding: the attributes in `ce-*`
/// headers, the body as `data`, and `Content-Type` as `datacontenttype`.
enum BinaryModeEvent {
    /// Header names are compared in lower case, as `HTTPField.Name.canonicalName` holds them.
    static let prefix = "ce-"

    /// Whether the request carries binary-mode attributes at all.
    static func isPresent(in headers: HTTPFields) -> Bool {
        headers.contains { $0.name.canonicalName.hasPrefix(prefix) }
    }

    /// Decodes the event, percent-decoding each header value as the binding requires.
    ///
    /// - Throws: ``ProblemDetails`` (400) naming the header and the rule it breaks.
    static func decode(headers: HTTPFields, contentType: String?, body: Data) throws(ProblemDetails) -> Event {
        var attributes: [String: String] = [:]
        for field in headers where field.name.canonicalName.hasPrefix(prefix) {
            let header = field.name.canonicalName
            let name = String(header.dropFirst(prefix.count))
            guard attributes[name] == nil else {
                throw .invalidEvent("header '\(header)' appears more than once; send each attribute once")
            }
            guard let value = field.value.removingPercentEncoding else {
                throw .invalidEvent(
                    "header '\(header)' is not validly percent-encoded: every '%' must start a '%XX' escape of "
                        + "UTF-8 bytes, as in 'caf%C3%A9'; encode a literal '%' as '%25'")
            }
            attributes[name] = value
        }

        guard let specVersion = attributes.removeValue(forKey: "specversion") else {
            throw .invalidEvent("header 'ce-specversion' is required in binary mode; set it to '\(Event.specVersion)'")
        }
        guard specVersion == Event.specVersion else {
            throw .invalidEvent(
                "header 'ce-specversion' must be '\(Event.specVersion)', got '\(specVersion)'; Herald reads "
                    + "CloudEvents \(Event.specVersion) only")
        }
        if attributes["datacontenttype"] != nil {
            throw .invalidEvent(
                "header 'ce-datacontenttype' is not used in binary mode: the Content-Type header carries "
                    + "datacontenttype; remove it and set Content-Type instead")
        }
        var time: Date?
        if let text = attributes.removeValue(forKey: "time") {
            guard let parsed = RFC3339.parse(text) else {
                throw .invalidEvent(
                    "header 'ce-time' must be an RFC 3339 timestamp such as '2018-04-05T17:31:00Z', got '\(text)'")
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
            throw .invalidEvent("header 'ce-\(error.attribute)' \(error.reason)")
        }
        return event
    }
}
