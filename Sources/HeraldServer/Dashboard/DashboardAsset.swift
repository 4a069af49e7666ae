import Crypto
import Foundation
import NIOCore

/// One file of the dashboard, compiled into the server: its bytes, its media type and its entity tag.
///
/// The files are Swift string literals rather than package resources, so that `swift run herald serve` and a
/// copied binary serve the same page, and no missing file can stop the server.
struct DashboardAsset: Sendable {
    /// The `Content-Type` to send.
    let contentType: String
    /// The file's bytes.
    let body: ByteBuffer
    /// A strong entity tag: the quoted start of the SHA-256 of ``body``, so it changes when the file does.
    let entityTag: String

    init(contentType: String, text: String) {
        self.contentType = contentType
        self.body = ByteBuffer(string: text)
        let digest = SHA256.hash(data: Data(text.utf8))
        self.entityTag = "\"" + digest.prefix(12).map { String(format: "%02x", $0) }.joined() + "\""
    }

    /// The files under `/dashboard/`, by name.
    static let files: [String: DashboardAsset] = [
        "dashboard.js": .script,
        "dashboard.css": .stylesheet,
        "favicon.svg": .icon,
    ]
}
