import Foundation
import Herald
import HeraldSecurity

/// Topics whose events must be signed when published to the server, and the keys that may sign them:
/// `herald serve --require-signature PATTERN --verification-key KEYID:hmac:BASE64`.
///
/// An event published (over HTTP in any mode, or a WebSocket) whose type matches one of ``topics`` must carry a
/// signature by one of ``keys`` (see HeraldSecurity's `EventSigner` and `EventCanonicalForm`). An unsigned event or
/// a malformed signature gets `400`, a signature by an unknown key or one that does not match the event `403`,
/// each a problem detail with the reason; a batch is refused whole. Each refused event is counted in
/// `herald_signature_rejections_total{reason}`. Accepted events are stored as sent, signature included, so
/// consumers can verify them again.
public struct SignatureRequirement: Sendable, Hashable {
    /// The topics that require signatures; none turns the requirement off.
    public var topics: [TopicPattern]
    /// The keys signatures are checked against, by the id each signature names.
    public var keys: [EventVerificationKey]

    /// Creates a requirement.
    public init(topics: [TopicPattern] = [], keys: [EventVerificationKey] = []) {
        self.topics = topics
        self.keys = keys
    }

    /// Whether any topic requires signatures.
    public var isEnabled: Bool { !topics.isEmpty }

    /// Reads a verification key written as `KEYID:hmac:BASE64SECRET` or `KEYID:ed25519:BASE64PUBLICKEY`, the form of
    /// `--verification-key`; the id cannot contain `:`.
    ///
    /// - Throws: ``HeraldServerConfigurationError`` naming the part that is wrong; the message never contains the
    ///   secret.
    public static func parseVerificationKey(_ text: String) throws(HeraldServerConfigurationError)
        -> EventVerificationKey
    {
        let form =
            "write verification keys as KEYID:hmac:BASE64SECRET or KEYID:ed25519:BASE64PUBLICKEY, such as "
            + "'2026-11:ed25519:\(Data(count: 32).base64EncodedString())'"
        let parts = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty else {
            throw HeraldServerConfigurationError("a verification key does not have three ':'-separated parts; \(form)")
        }
        let id = String(parts[0])
        guard let bytes = Data(base64Encoded: String(parts[2])) else {
            throw HeraldServerConfigurationError(
                "the key material of verification key '\(id.prefix(128))' is not base64; \(form)")
        }
        do {
            switch parts[1].lowercased() {
            case "hmac", "hmac-sha256": return try .hmacSHA256(id: id, secret: bytes)
            case "ed25519": return try .ed25519(id: id, publicKey: bytes)
            default:
                throw HeraldServerConfigurationError(
                    "verification key '\(id.prefix(128))' names algorithm '\(parts[1].prefix(40))'; use hmac or "
                        + "ed25519; \(form)")
            }
        } catch let error as EventSecurityError {
            throw HeraldServerConfigurationError("verification key '\(id.prefix(128))': \(error.message)")
        } catch let error as HeraldServerConfigurationError {
            throw error
        } catch {
            throw HeraldServerConfigurationError("verification key '\(id.prefix(128))': \(error)")
        }
    }

    /// Checks every event of a publish whose type requires a signature, all or nothing, counting each rejection
    /// in `metrics`.
    ///
    /// - Throws: ``ProblemDetails``: 400 when the first refused event is unsigned or its signature malformed, 403
    ///   when its key is unknown or its signature bad; `errors` lists every refused event of a batch.
    func check(_ events: [Event], metrics: ServerMetrics) throws(ProblemDetails) {
        guard isEnabled else { return }
        let verifier = EventVerifier(keys: keys)
        var failures: [(index: Int, error: EventSecurityError)] = []
        for (index, event) in events.enumerated() where topics.contains(where: { $0.matches(event.type) }) {
            do {
                try verifier.verify(event)
            } catch {
                metrics.recordSignatureRejection(reason: error.code.description)
                failures.append((index, error))
            }
        }
        guard let first = failures.first else { return }
        let clientError = first.error.code == .unsigned || first.error.code == .malformedSignature
        let batch = events.count > 1 ? " (nothing of the batch was stored)" : ""
        throw ProblemDetails(
            type: "urn:herald:problem:signature-required", title: "Signature refused",
            status: clientError ? 400 : 403,
            detail: "events of type '\(events[first.index].type)' must be signed with a key this server knows"
                + "\(batch); \(first.error.code): \(first.error.message)",
            errors: events.count > 1
                ? failures.map { .init(index: $0.index, attribute: "signature", detail: $0.error.description) } : nil)
    }
}
