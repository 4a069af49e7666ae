import Foundation
import Hummingbird
import NIOCore

extension Request {
    /// Collects the body, answering 413 (``ProblemDetails/bodyTooLarge(limit:)``) for one larger than `limit`
    /// bytes without reading all of it: a `Content-Length` over the limit is refused before any byte is read.
    func collectBody(limit: Int) async throws -> Data {
        if let length = headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw ProblemDetails.bodyTooLarge(limit: limit)
        }
        do {
            return Data(try await body.collect(upTo: limit).readableBytesView)
        } catch is NIOTooManyBytesError {
            throw ProblemDetails.bodyTooLarge(limit: limit)
        }
    }
}
