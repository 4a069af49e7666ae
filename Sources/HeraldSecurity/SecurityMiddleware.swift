import Herald
import Logging
import Metrics

/// Lets through only events with a valid signature; an unsigned, unknown-key or tampered event fails with an
/// ``EventSecurityError`` that says why, which ``DeadLetterMiddleware`` (placed outside it) records with the event.
///
/// Place it outside ``RetryMiddleware``: a bad signature does not get better by retrying. Counts
/// `herald_signature_rejections_total` with the dimension `reason` (the error code).
public struct VerifySignaturesMiddleware: EventMiddleware {
    private let verifier: EventVerifier
    private let metricsFactory: any MetricsFactory

    /// Creates the middleware.
    public init(verifier: EventVerifier, metricsFactory: any MetricsFactory = MetricsSystem.factory) {
        self.verifier = verifier
        self.metricsFactory = metricsFactory
    }

    public func handle(_ event: Event, context: HandlerContext, next: EventHandler) async throws -> [Event] {
        do {
            try verifier.verify(event)
        } catch {
            Counter(
                label: "herald_signature_rejections_total",
                dimensions: [("reason", error.code.description)],
                factory: metricsFactory
            ).increment()
            context.logger.warning(
                "rejected an event's signature",
                metadata: ["event": "\(event.id)", "reason": "\(error.code)"]
            )
            throw error
        }
        return try await next(event, context)
    }
}

/// Signs the events a handler returns, before the router publishes them.
public struct SignEventsMiddleware: EventMiddleware {
    private let signer: EventSigner

    /// Creates the middleware.
    public init(signer: EventSigner) {
        self.signer = signer
    }

    public func handle(_ event: Event, context: HandlerContext, next: EventHandler) async throws -> [Event] {
        try await next(event, context).map(signer.sign)
    }
}

/// Decrypts an encrypted event before its handler sees it, and encrypts what the handler returns when
/// `encryptsOutput` is set. A failure to decrypt is an ``EventSecurityError`` for the dead letters, never a crash.
public struct EncryptionMiddleware: EventMiddleware {
    private let encryptor: EventEncryptor
    private let encryptsOutput: Bool

    /// Creates the middleware.
    public init(encryptor: EventEncryptor, encryptsOutput: Bool = false) {
        self.encryptor = encryptor
        self.encryptsOutput = encryptsOutput
    }

    public func handle(_ event: Event, context: HandlerContext, next: EventHandler) async throws -> [Event] {
        let output = try await next(try encryptor.decrypt(event), context)
        return encryptsOutput ? try output.map(encryptor.encrypt) : output
    }
}
