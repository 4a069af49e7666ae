import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

extension Response {
    /// A response with `status` and the JSON document `body` (`application/json`): the one way routes answer
    /// with JSON.
    static func json(_ status: HTTPResponse.Status, _ body: Data) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
