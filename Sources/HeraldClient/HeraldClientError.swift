import Foundation

/// Why a ``HeraldClient`` call failed.
public enum HeraldClientError: Error, Sendable, Hashable {
    /// The server answered with an RFC 9457 problem: what was wrong and how to fix it.
    case problem(HeraldProblem)
    /// The server at `url` answered with an error status and a body that is not a problem.
    case unexpectedStatus(url: String, status: Int, body: String)
    /// No answer: the server could not be reached at `url`, or the connection broke.
    case connectionFailed(url: String, reason: String)
    /// The server answered with a body the client cannot read.
    case invalidResponse(url: String, reason: String)
    /// The call's arguments cannot make a valid request; nothing was sent.
    case invalidRequest(String)

    /// The HTTP status of the server's answer, when there was one.
    public var status: Int? {
        switch self {
        case .problem(let problem): problem.status
        case .unexpectedStatus(_, let status, _): status
        case .connectionFailed, .invalidResponse, .invalidRequest: nil
        }
    }

    /// The server's problem, when it sent one.
    public var problem: HeraldProblem? {
        if case .problem(let problem) = self { problem } else { nil }
    }
}

extension HeraldClientError: CustomStringConvertible {
    /// A message for people: the problem's title, detail and per-event errors, or what failed and what to try.
    public var description: String {
        switch self {
        case .problem(let problem):
            return problem.description
        case .unexpectedStatus(let url, let status, let body):
            let text = body.trimmingCharacters(in: .whitespacesAndNewlines)
            let hint =
                status == 404 || status == 405
                ? "; the server has no such endpoint: is --server a Herald server, and as new as this client?" : ""
            return "\(url) answered HTTP \(status)" + (text.isEmpty ? "" : ": \(text.prefix(2000))") + hint
        case .connectionFailed(let url, let reason):
            return "cannot reach the Herald server at \(url) (\(reason)); check that `herald serve` is running "
                + "there, or point --server (or HERALD_SERVER) at the right address"
        case .invalidResponse(let url, let reason):
            return "the answer from \(url) is not what a Herald server sends: \(reason)"
        case .invalidRequest(let reason):
            return reason
        }
    }
}
