/// Why signing, verifying, encrypting or decrypting an event failed: a code to match on (and to count in
/// metrics) and a message that says what was wrong and what to do.
public struct EventSecurityError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String

        /// The event carries no signature, and one is required.
        public static let unsigned = Code(name: "unsigned")
        /// The signature names a key the verifier does not have.
        public static let unknownKey = Code(name: "unknown_key")
        /// The signature does not match the event: it was changed after signing, or signed with another key.
        public static let badSignature = Code(name: "bad_signature")
        /// The signature's attributes are malformed (not base64, an algorithm that is not the key's).
        public static let malformedSignature = Code(name: "malformed_signature")
        /// The data cannot be decrypted: a wrong key, or ciphertext that was tampered with.
        public static let decryptionFailed = Code(name: "decryption_failed")
        /// The encrypted event's attributes are malformed or missing.
        public static let malformedCiphertext = Code(name: "malformed_ciphertext")
        /// A key is unusable: an empty id, a secret too short.
        public static let invalidKey = Code(name: "invalid_key")

        public var description: String { name }
    }

    /// What went wrong.
    public var code: Code
    /// What went wrong in words, and how to fix it.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    static func checkKeyID(_ id: String) throws(EventSecurityError) {
        guard !id.isEmpty, id.utf8.count <= 128, !id.contains(where: { $0.isNewline }) else {
            throw EventSecurityError(.invalidKey, "a key id must be 1 to 128 bytes with no line breaks")
        }
    }
}
