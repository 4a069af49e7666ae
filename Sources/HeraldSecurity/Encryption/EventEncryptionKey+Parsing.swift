import Foundation

extension EventEncryptionKey {
    /// A key from its text form `KEYID:BASE64KEY`, as `herald serve --encrypt-at-rest` takes it: the id, a colon,
    /// and 32 bytes in base64 (make them with `openssl rand -base64 32`).
    ///
    /// - Throws: ``EventSecurityError`` with ``EventSecurityError/Code/invalidKey`` naming what is wrong: no colon,
    ///   a bad id, text that is not base64, or another length than 32 bytes.
    public init(parsing text: String) throws(EventSecurityError) {
        guard let colon = text.lastIndex(of: ":") else {
            throw EventSecurityError(
                .invalidKey,
                "an encryption key must be KEYID:BASE64KEY, such as '2026-11:' followed by the output of "
                    + "'openssl rand -base64 32'; the text given has no ':'")
        }
        let id = String(text[..<colon])
        guard let bytes = Data(base64Encoded: String(text[text.index(after: colon)...])) else {
            throw EventSecurityError(
                .invalidKey,
                "the encryption key '\(id.prefix(128))' is not valid base64 after the ':'; make one with "
                    + "'openssl rand -base64 32'")
        }
        try self.init(id: id, bytes: bytes)
    }
}
