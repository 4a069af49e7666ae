import Foundation
import Herald

/// One caller's process save, waiting in the store's group-commit queue for its record or error.
struct ProcessSaveRequest: GroupCommitRequest {
    let process: String
    let key: String
    let document: Data
    let isFinished: Bool
    let expectedVersion: Int64
    let events: [Event]
    let continuation: CheckedContinuation<ProcessRecord, any Error>

    /// The row and the events it writes.
    var weight: Int { events.count + 1 }
}
