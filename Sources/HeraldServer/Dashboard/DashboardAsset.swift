import Crypto
import Foundation
import NIOCore

/// One file of the dashboard, compiled into the server: its bytes, its media type and its entity tag.
///
/// The files live in `Dashboard/Assets/` and are embedded into the binary as package resources
/// (`.embedInCode`), so that `swift run herald serve` and a copied binary serve the same page, and no missing
/// file can stop the server.
struct DashboardAsset: Sendable {
    /// The `Content-Type` to send.
    let contentType: String
    /// The file's bytes.
    let body: ByteBuffer
    /// A strong entity tag: the quoted start of the SHA-256 of ``body``, so it changes when the file does.
    let entityTag: String

    init(contentType: String, bytes: [UInt8]) {
        self.contentType = contentType
        self.body = ByteBuffer(bytes: bytes)
        let digest = SHA256.hash(data: bytes)
        self.entityTag = "\"" + digest.prefix(12).map { String(format: "%02x", $0) }.joined() + "\""
    }

    /// `index.html`, served at `GET /`: the skeleton that `dashboard.js` fills. It holds no inline script or
    /// style, so that the Content-Security-Policy can forbid both.
    static let page = DashboardAsset(contentType: "text/html; charset=utf-8", bytes: PackageResources.index_html)

    /// The files under `/dashboard/`, by name:
    /// - `dashboard.js` loads the recent events, follows `/v1/stream` live, polls the groups and topics, draws
    ///   the rate chart and publishes from the form. Everything that comes from an event reaches the page through
    ///   `textContent`, `dataset` or `title`, never as HTML.
    /// - `dashboard.css`, light or dark after the reader's system setting.
    /// - `favicon.svg`, a signal fanning out from a point.
    static let files: [String: DashboardAsset] = [
        "dashboard.js": DashboardAsset(
            contentType: "text/javascript; charset=utf-8", bytes: PackageResources.dashboard_js),
        "dashboard.css": DashboardAsset(contentType: "text/css; charset=utf-8", bytes: PackageResources.dashboard_css),
        "favicon.svg": DashboardAsset(contentType: "image/svg+xml", bytes: PackageResources.favicon_svg),
    ]
}
