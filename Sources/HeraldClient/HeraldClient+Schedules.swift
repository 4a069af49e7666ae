import Foundation
import Herald
import NIOHTTP1

/// Schedules over HTTP: `/v1/schedules`.
extension HeraldClient {
    /// Creates or replaces a schedule (`PUT /v1/schedules/{name}`) from its definition.
    ///
    /// - Returns: The schedule as stored, and whether it is new (`false` when it replaced one).
    /// - Throws: ``HeraldClientError``: a problem with status 400 whose ``HeraldProblem/field`` names the field
    ///   at fault for an invalid schedule.
    @discardableResult
    public func putSchedule(_ schedule: Schedule) async throws -> (status: ScheduleStatus, created: Bool) {
        try await putSchedule(name: schedule.name, json: schedule.jsonData())
    }

    /// Creates or replaces the schedule `name` (`PUT /v1/schedules/{name}`) from its JSON form, such as
    /// `{"cron":"*/5 * * * *","timezone":"Europe/Berlin","event":{"type":"report.due","source":"/reports"}}`
    /// (see `Schedule`); an interval without an `anchor` counts from when the server receives it.
    ///
    /// - Returns: The schedule as stored, and whether it is new (`false` when it replaced one).
    @discardableResult
    public func putSchedule(name: String, json: Data) async throws -> (status: ScheduleStatus, created: Bool) {
        let response = try await send(
            .PUT, path: "/v1/schedules/\(Self.percentEncoded(name))", contentType: "application/json", body: json)
        return (try ScheduleStatus(json: response.json, name: name), response.status == 201)
    }

    /// Every schedule, by name (`GET /v1/schedules`).
    public func schedules() async throws -> [ScheduleStatus] {
        let response = try await send(.GET, path: "/v1/schedules")
        return try response.list("schedules").map { try ScheduleStatus(json: $0) }
    }

    /// One schedule with its next instants (`GET /v1/schedules/{name}`).
    ///
    /// - Throws: ``HeraldClientError``, a problem with status 404 when there is no such schedule.
    public func schedule(named name: String) async throws -> ScheduleStatus {
        let response = try await send(.GET, path: "/v1/schedules/\(Self.percentEncoded(name))")
        return try ScheduleStatus(json: response.json, name: name)
    }

    /// Deletes a schedule (`DELETE /v1/schedules/{name}`).
    ///
    /// - Throws: ``HeraldClientError``, a problem with status 404 when there is no such schedule.
    public func deleteSchedule(named name: String) async throws {
        try await send(.DELETE, path: "/v1/schedules/\(Self.percentEncoded(name))")
    }

    /// Pauses a schedule (`POST /v1/schedules/{name}/pause`): it does not fire until resumed.
    @discardableResult
    public func pauseSchedule(named name: String) async throws -> ScheduleStatus {
        let response = try await send(.POST, path: "/v1/schedules/\(Self.percentEncoded(name))/pause")
        return try ScheduleStatus(json: response.json, name: name)
    }

    /// Resumes a paused schedule (`POST /v1/schedules/{name}/resume`): it fires next at its first instant
    /// after now, skipping those that passed while it was paused.
    @discardableResult
    public func resumeSchedule(named name: String) async throws -> ScheduleStatus {
        let response = try await send(.POST, path: "/v1/schedules/\(Self.percentEncoded(name))/resume")
        return try ScheduleStatus(json: response.json, name: name)
    }
}
