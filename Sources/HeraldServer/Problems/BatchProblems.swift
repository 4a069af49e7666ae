import Foundation
import Herald

/// Turns a failed batch decode into one problem that lists every offending event, not only the first.
enum BatchProblems {
    /// `Event.decodeBatch(json:)` stops at the first bad event; to name the others, each element of the
    /// array is decoded again on its own. The first error is always listed as the decoder reported it.
    static func problem(for error: EventDecodingError, in body: Data) -> ProblemDetails {
        guard let firstIndex = error.index else {
            return .invalidEvent(error.description)
        }
        var errors = [ProblemDetails.EventError(index: firstIndex, attribute: error.attribute, detail: error.reason)]
        for (index, element) in elements(of: body).enumerated() where index > firstIndex {
            do {
                _ = try Event.decode(json: element)
            } catch {
                errors.append(.init(index: index, attribute: error.attribute, detail: error.reason))
            }
        }
        let indexes = errors.map { String($0.index) }.joined(separator: ", ")
        let noun = errors.count == 1 ? "event" : "events"
        return .invalidEvent(
            "the batch has \(errors.count) invalid \(noun) (at index \(indexes)); nothing was stored. Fix them, "
                + "or leave them out, and send the batch again; the first: \(error.description)",
            errors: errors)
    }

    /// The array's elements as separate JSON documents, or none when the body is not a JSON array.
    private static func elements(of body: Data) -> [Data] {
        guard let array = try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) as? [Any]
        else { return [] }
        return array.map { element in
            (try? JSONSerialization.data(withJSONObject: element, options: [.fragmentsAllowed])) ?? Data()
        }
    }
}
