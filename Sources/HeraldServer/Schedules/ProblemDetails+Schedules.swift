import Herald

extension ProblemDetails {
    /// A schedule definition or name was refused (400): the problem's `field` names the body field at fault
    /// (such as `cron.hour`, `timezone`, `every_ms` or `event.source`; `name` for the name in the path).
    static func invalidSchedule(_ error: ScheduleDefinitionError) -> ProblemDetails {
        ProblemDetails(
            type: "urn:herald:problem:invalid-schedule", title: "Invalid schedule", status: 400,
            detail: error.message, field: error.field)
    }

    /// No schedule has the name in the path (404).
    static func scheduleNotFound(_ name: String) -> ProblemDetails {
        ProblemDetails(
            type: "urn:herald:problem:schedule-not-found", title: "Schedule not found", status: 404,
            detail: "no schedule named '\(name)'; create it with PUT /v1/schedules/\(name) and a body such as "
                + #"{"cron":"*/5 * * * *","event":{"type":"report.due","source":"/reports"}}"#)
    }

    /// The server's store keeps no schedules (501).
    static func schedulesNotSupported() -> ProblemDetails {
        ProblemDetails(
            type: "urn:herald:problem:not-implemented", title: "Schedules not supported", status: 501,
            detail: "this server's store keeps no schedules or locks, so it cannot run a scheduler; serve a store "
                + "that does (SQLite, PostgreSQL or the in-memory store)")
    }
}
