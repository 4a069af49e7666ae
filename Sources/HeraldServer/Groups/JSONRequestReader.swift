import Foundation
import Herald
import Hummingbird
import NIOCore

/// Reads the small JSON bodies of the group routes into `Decodable` values, turning every mistake into a
/// `400` problem that names the field: malformed JSON, not an object, an unknown field, a missing field,
/// a wrong type or a number out of range. Bodies over the server's limit get `413`.
struct JSONRequestReader: Sendable {
    /// The largest body read, in bytes.
    let maxBodyBytes: Int

    /// Decodes `request`'s body as `Body`.
    ///
    /// - Parameters:
    ///   - fields: the members the object may have; any other is refused, so that a misspelt field is not
    ///     silently ignored.
    ///   - whenEmpty: the value of an empty body; `nil` when the body is required.
    ///   - example: a valid body, quoted in problems about the whole body.
    func read<Body: Decodable>(
        _ type: Body.Type,
        from request: Request,
        fields: [String],
        whenEmpty: Body?,
        example: String
    ) async throws -> Body {
        let body = try await request.collectBody(limit: maxBodyBytes)
        guard let members = try members(of: body, fields: fields, example: example) else {
            guard let whenEmpty else {
                throw ProblemDetails.invalidBody("the request body is empty; send a JSON object such as \(example)")
            }
            return whenEmpty
        }
        do {
            return try JSONDecoder().decode(Body.self, from: body)
        } catch let error as DecodingError {
            throw ProblemDetails.invalidBody(Self.describe(error, members: members))
        }
    }

    /// Reads `request`'s body as a JSON object whose members are among `fields`, checked as
    /// ``read(_:from:fields:whenEmpty:example:)`` checks it, for a body that takes its members itself (the
    /// poll's, the hottest); `nil` for an empty body.
    func members(of request: Request, fields: [String], example: String) async throws -> [String: JSONValue]? {
        try members(of: try await request.collectBody(limit: maxBodyBytes), fields: fields, example: example)
    }

    private func members(of body: Data, fields: [String], example: String) throws(ProblemDetails)
        -> [String: JSONValue]?
    {
        if body.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }) { return nil }
        let members: [String: JSONValue]
        do {
            guard case .object(let object) = try JSONValue(parsing: body) else {
                throw ProblemDetails.invalidBody("the request body must be a JSON object such as \(example)")
            }
            members = object
        } catch let error as JSONSyntaxError {
            throw .invalidBody(
                "the request body is not valid JSON (\(error.description.prefix(200))); send a JSON object such as "
                    + example)
        } catch let problem as ProblemDetails {
            throw problem
        } catch {
            throw .invalidBody("the request body is not valid JSON; send a JSON object such as \(example)")
        }
        if let unknown = members.keys.sorted().first(where: { !fields.contains($0) }) {
            throw .invalidBody(
                "unknown field '\(unknown.prefix(100))'; the accepted fields are "
                    + fields.map { "'\($0)'" }.joined(separator: ", "))
        }
        return members
    }

    /// The integer member `field`, or `nil` when it is absent or null.
    static func integer(_ members: [String: JSONValue], _ field: String) throws(ProblemDetails) -> Int? {
        switch members[field] {
        case nil, .null: return nil
        case .integer(let number):
            guard let value = Int(exactly: number) else { fallthrough }
            return value
        case .number: throw .invalidBody("field '\(field)' must be a whole number within range")
        default: throw .invalidBody("field '\(field)' must be an integer")
        }
    }

    /// The member `field` as an array of strings, or `nil` when it is absent or null.
    static func strings(_ members: [String: JSONValue], _ field: String) throws(ProblemDetails) -> [String]? {
        switch members[field] {
        case nil, .null: return nil
        case .array(let elements):
            return try elements.enumerated().map { index, element throws(ProblemDetails) in
                switch element {
                case .string(let text): return text
                case .null: throw .invalidBody("field '\(field)[\(index)]' must be a string, not null")
                default: throw .invalidBody("field '\(field)[\(index)]' must be a string")
                }
            }
        default: throw .invalidBody("field '\(field)' must be an array of strings")
        }
    }

    /// What a decoding error says about the body, naming the field.
    static func describe(_ error: DecodingError, members: [String: JSONValue]) -> String {
        // A number that does not fit an integer fails without a coding path: find the field it is in.
        if case .dataCorrupted(let context) = error, context.codingPath.isEmpty,
            let field = members.keys.sorted().lazy.compactMap({ fractionalNumber(in: members[$0]!, path: $0) }).first
        {
            return "field '\(field)' must be a whole number within range"
        }
        return describe(error)
    }

    /// The path of the first number in `value` that is not an integer fitting 64 bits, if any.
    private static func fractionalNumber(in value: JSONValue, path: String) -> String? {
        switch value {
        case .number: path
        case .array(let elements):
            elements.indices.lazy.compactMap { fractionalNumber(in: elements[$0], path: "\(path)[\($0)]") }.first
        default: nil
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .typeMismatch(let type, let context):
            return "field '\(path(context.codingPath))' must be \(describe(type))"
        case .valueNotFound(let type, let context):
            return "field '\(path(context.codingPath))' must be \(describe(type)), not null"
        case .keyNotFound(let key, let context):
            return "field '\(path(context.codingPath + [key]))' is required"
        case .dataCorrupted(let context):
            return "field '\(path(context.codingPath))' has a value out of range or of the wrong type; "
                + "use a whole number or a string as documented"
        @unknown default:
            return "the request body does not have the expected fields: \(error)"
        }
    }

    private static func path(_ codingPath: [any CodingKey]) -> String {
        var text = ""
        for key in codingPath {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text.isEmpty ? "(body)" : text
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is Int64.Type: "an integer"
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is [String].Type: "an array of strings"
        case is [Int64].Type: "an array of integers"
        case is [Any].Type: "an array"
        case is [String: Any].Type: "an object"
        default: "a value of type \(type)"
        }
    }
}
