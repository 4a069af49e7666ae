/// The body of `POST /v1/groups/{name}/dead-letters/requeue`: `{"sequences":[12,15]}` requeues those dead
/// letters; an empty list, no `sequences` or an empty body requeues them all.
struct RequeueRequest: Decodable {
    static let maximumSequences = 1_000

    var sequences: [Int64]?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case sequences
    }

    static let example = #"{"sequences":[12,15]}"#

    /// The sequences to requeue, or `nil` for all.
    func checked() throws(ProblemDetails) -> [Int64]? {
        guard let sequences, !sequences.isEmpty else { return nil }
        guard sequences.count <= Self.maximumSequences else {
            throw .invalidBody(
                "field 'sequences' has \(sequences.count) entries; send at most \(Self.maximumSequences), or none "
                    + "to requeue every dead letter")
        }
        if let bad = sequences.first(where: { $0 < 1 }) {
            throw .invalidBody("field 'sequences' must hold sequences of 1 or more, got \(bad)")
        }
        return sequences
    }
}
