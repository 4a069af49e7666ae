extension Event {
    /// The context attribute names of CloudEvents 1.0 plus the JSON format's `data` and `data_base64`
    /// members; none of them can name an extension.
    static func isReservedAttributeName(_ name: String) -> Bool {
        switch name {
        case "id", "source", "specversion", "type", "datacontenttype", "dataschema", "subject", "time", "data",
            "data_base64":
            true
        default:
            false
        }
    }

    /// Checks the event against the CloudEvents 1.0 rules, throwing on the first attribute that breaks one.
    ///
    /// Checks that `id`, `source` and `type` are non-empty, that `source` is a URI-reference and
    /// `dataschema` an absolute URI (syntactically: no spaces or control characters, and a scheme where
    /// one is required), that `subject` and `datacontenttype` are non-empty when present, and that every
    /// extension has a valid name (1-20 characters of `a-z` and `0-9`, not a context attribute name) and,
    /// for ``ExtensionValue/uri(_:)`` and ``ExtensionValue/uriReference(_:)``, a valid value.
    ///
    /// The bus calls this on every publish, so it does not allocate for a valid event.
    public func validate() throws(EventValidationError) {
        if id.isEmpty { throw .required("id") }
        if source.isEmpty { throw .required("source") }
        if type.isEmpty { throw .required("type") }
        if !Self.isURIReference(source) { throw .notURIReference("source", source) }
        if let subject, subject.isEmpty { throw .emptyOptional("subject") }
        if let dataContentType, dataContentType.isEmpty { throw .emptyOptional("datacontenttype") }
        if let dataSchema, !Self.isAbsoluteURI(dataSchema) { throw .notAbsoluteURI("dataschema", dataSchema) }
        for (name, value) in extensions {
            try Self.validateExtensionName(name)
            switch value {
            case .uri(let text):
                if !Self.isAbsoluteURI(text) { throw .notAbsoluteURI(name, text) }
            case .uriReference(let text):
                if !Self.isURIReference(text) { throw .notURIReference(name, text) }
            case .boolean, .integer, .string, .binary, .timestamp:
                break
            }
        }
    }

    static func validateExtensionName(_ name: String) throws(EventValidationError) {
        var count = 0
        for byte in name.utf8 {
            count += 1
            guard count <= 20, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || isDigit(byte) else {
                throw .invalidExtensionName(name)
            }
        }
        if count == 0 { throw .invalidExtensionName(name) }
        if isReservedAttributeName(name) {
            throw EventValidationError(
                attribute: name,
                reason: "is a context attribute of the CloudEvents format and cannot name an extension; "
                    + "pick another name"
            )
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// A deliberately light check of RFC 3986: the characters that can never appear unencoded in a URI.
    static func isURIReference(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 > 0x20 && $0 != 0x7F }
    }

    /// A URI-reference that starts with a scheme: a letter, then letters, digits, `+`, `-` or `.`, then `:`.
    static func isAbsoluteURI(_ text: String) -> Bool {
        guard isURIReference(text) else { return false }
        for (index, byte) in text.utf8.enumerated() {
            if byte == UInt8(ascii: ":") { return index > 0 }
            let isLetter = (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20)
            let isLaterSchemeCharacter =
                isDigit(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
            guard isLetter || (index > 0 && isLaterSchemeCharacter) else { return false }
        }
        return false
    }
}

extension EventValidationError {
    static func invalidExtensionName(_ name: String) -> Self {
        // Suggesting the nearest valid name makes the message say how to fix it, not only what is wrong.
        let kept = name.lowercased().unicodeScalars.filter { ("a"..."z").contains($0) || ("0"..."9").contains($0) }
        let candidate = String(String.UnicodeScalarView(kept.prefix(20)))
        let hint =
            candidate.isEmpty || Event.isReservedAttributeName(candidate)
            ? "rename it using only a-z and 0-9" : "rename it, for example to '\(candidate)'"
        return Self(
            attribute: name,
            reason: "is not a valid extension attribute name: extension names are 1-20 lowercase letters or digits; "
                + hint
        )
    }

    static func required(_ attribute: String) -> Self {
        Self(attribute: attribute, reason: "is required and must be a non-empty string")
    }

    static func emptyOptional(_ attribute: String) -> Self {
        Self(attribute: attribute, reason: "must not be empty when present; leave it out (nil) instead")
    }

    static func notURIReference(_ attribute: String, _ value: String) -> Self {
        Self(
            attribute: attribute,
            reason: "must be a URI-reference (RFC 3986), got \(quoted(value)); percent-encode spaces and control "
                + "characters (a space is %20)"
        )
    }

    static func notAbsoluteURI(_ attribute: String, _ value: String) -> Self {
        Self(
            attribute: attribute,
            reason: "must be an absolute URI with a scheme (RFC 3986), got \(quoted(value)); use a full URI such "
                + "as \"https://example.com/schema.json\" and percent-encode spaces"
        )
    }

    /// Renders a value in an error message: quoted and shortened, so a huge value cannot flood a log line.
    static func quoted(_ value: String) -> String {
        let limit = 80
        let shown = value.count > limit ? value.prefix(limit) + "..." : Substring(value)
        return "\"" + shown.unicodeScalars.map { $0.escaped(asASCII: false) }.joined() + "\""
    }
}
