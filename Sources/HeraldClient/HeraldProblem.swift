/// An error the server reported in the RFC 9457 format (`application/problem+json`).
public struct HeraldProblem: Sendable, Hashable {
    /// One offending event of a batch.
    public struct EventError: Sendable, Hashable {
        /// The 0-based position of the event in the batch.
        public var index: Int
        /// The attribute at fault, when one is.
        public var attribute: String?
        /// What is wrong with the event and how to fix it.
        public var detail: String

        /// Creates an entry.
        public init(index: Int, attribute: String?, detail: String) {
            self.index = index
            self.attribute = attribute
            self.detail = detail
        }
    }

    /// The media type of a problem body.
    public static let mediaType = "application/problem+json"

    /// A URI naming the kind of problem, such as `urn:herald:problem:invalid-event`.
    public var type: String
    /// A short summary of the kind of problem.
    public var title: String
    /// The HTTP status code.
    public var status: Int
    /// What was wrong with this request and how to fix it.
    public var detail: String
    /// For a batch, every offending event by index; empty otherwise.
    public var errors: [EventError]
    /// The body field at fault as a dotted path, such as `cron.hour` for an invalid schedule, when one is.
    public var field: String?

    /// Creates a problem.
    public init(
        type: String, title: String, status: Int, detail: String, errors: [EventError] = [], field: String? = nil
    ) {
        self.type = type
        self.title = title
        self.status = status
        self.detail = detail
        self.errors = errors
        self.field = field
    }

    /// Reads a problem body; `nil` when it is not a JSON object. Missing members get RFC 9457's defaults
    /// (`about:blank`, and the response's status).
    init?(json: RawJSON, responseStatus: Int) {
        guard case .object = json.kind else { return nil }
        type = json["type"]?.string ?? "about:blank"
        title = json["title"]?.string ?? ""
        status = json["status"]?.int ?? responseStatus
        detail = json["detail"]?.string ?? ""
        field = json["field"]?.string
        errors = (json["errors"]?.array ?? []).compactMap { entry in
            guard let index = entry["index"]?.int else { return nil }
            return EventError(
                index: index, attribute: entry["attribute"]?.string, detail: entry["detail"]?.string ?? "")
        }
    }
}

extension HeraldProblem: CustomStringConvertible {
    /// The title and status, the detail, then one line per offending event.
    public var description: String {
        var lines = ["\(title.isEmpty ? "HTTP error" : title) (\(status)): \(detail)"]
        for error in errors {
            let attribute = error.attribute.map { " '\($0)'" } ?? ""
            lines.append("  event \(error.index)\(attribute): \(error.detail)")
        }
        return lines.joined(separator: "\n")
    }
}
