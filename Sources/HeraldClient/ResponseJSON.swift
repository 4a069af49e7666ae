import Foundation
import Herald

/// A value of a response body, with where it is in the body and which URL sent it, so that reading it as
/// the wrong type fails with ``HeraldClientError/invalidResponse(url:reason:)`` naming the member.
struct ResponseJSON {
    var json: RawJSON
    var url: String
    var path = "the body"

    func invalid(_ reason: String) -> HeraldClientError {
        .invalidResponse(url: url, reason: reason)
    }

    /// A required member of an object.
    func member(_ key: String) throws(HeraldClientError) -> ResponseJSON {
        guard let value = try optionalMember(key) else { throw invalid("\(path) has no member '\(key)'") }
        return value
    }

    /// A member of an object that may be missing or `null`.
    func optionalMember(_ key: String) throws(HeraldClientError) -> ResponseJSON? {
        guard case .object = json.kind else { throw invalid("\(path) is not a JSON object") }
        return json[key].map { ResponseJSON(json: $0, url: url, path: "'\(key)' of \(path)") }
    }

    /// The elements of an array.
    func elements() throws(HeraldClientError) -> [ResponseJSON] {
        guard let array = json.array else { throw invalid("\(path) is not a JSON array") }
        return array.enumerated().map { ResponseJSON(json: $1, url: url, path: "element \($0) of \(path)") }
    }

    /// The list a collection endpoint answers: the body's member `key`, or the body itself when it is an array.
    func list(_ key: String) throws(HeraldClientError) -> [ResponseJSON] {
        if json.array != nil { return try elements() }
        return try member(key).elements()
    }

    func string() throws(HeraldClientError) -> String {
        guard let value = json.string else { throw invalid("\(path) is not a string") }
        return value
    }

    func int64() throws(HeraldClientError) -> Int64 {
        guard let value = json.int64 else { throw invalid("\(path) is not an integer") }
        return value
    }

    func int() throws(HeraldClientError) -> Int {
        guard let value = json.int else { throw invalid("\(path) is not an integer") }
        return value
    }

    func double() throws(HeraldClientError) -> Double {
        guard let value = json.double else { throw invalid("\(path) is not a number") }
        return value
    }

    func bool() throws(HeraldClientError) -> Bool {
        guard let value = json.bool else { throw invalid("\(path) is not true or false") }
        return value
    }

    /// A structured CloudEvent, decoded from its exact bytes.
    func event() throws(HeraldClientError) -> Event {
        do {
            return try Event.decode(json: json.text)
        } catch {
            throw invalid("\(path) is not a valid CloudEvent: \(error)")
        }
    }

    /// An object `{"sequence":N,"event":{...}}`.
    func storedEvent() throws(HeraldClientError) -> StoredEvent {
        StoredEvent(sequence: try member("sequence").int64(), event: try member("event").event())
    }
}

extension HeraldClient.Response {
    func member(_ key: String) throws(HeraldClientError) -> ResponseJSON { try json.member(key) }
    func list(_ key: String) throws(HeraldClientError) -> [ResponseJSON] { try json.list(key) }
    func invalid(_ reason: String) -> HeraldClientError { json.invalid(reason) }
}
