import Foundation
import HTTPTypes
import Herald
import Hummingbird
import NIOCore

/// The `/v1/schedules` routes: schedules over HTTP, fired by the server's ``Scheduler``.
///
/// - `PUT /v1/schedules/{name}` creates or replaces a schedule from its JSON form (see ``Schedule``):
///   `201` when new, `200` when it replaced one; the body is the stored schedule (``ScheduleResource``).
/// - `GET /v1/schedules` lists them (`{"schedules":[...]}`, by name), `GET /v1/schedules/{name}` shows one.
/// - `DELETE /v1/schedules/{name}` deletes one (`204`).
/// - `POST /v1/schedules/{name}/pause` and `/resume` pause and resume one, answering it; resuming skips
///   the instants that passed while it was paused.
///
/// An invalid definition or name gets a `400` problem whose `field` names the field at fault (`cron.hour`,
/// `timezone`, `every_ms`, `event.source`, `name`...), an unknown schedule `404`, a body over the server's
/// limit `413`. On a server whose store keeps no schedules every route answers `501`. After each change
/// the scheduler is woken, so that it takes effect at once. Scopes are the authentication middleware's business
/// (writes need `admin`, reads `subscribe`); topics are checked here (``TopicAccess``): a key limited to some
/// topics lists and shows only schedules whose event type its `subscribe` topics match, and writes only those
/// whose type (before and after a replacement) its `admin` and `publish` topics match; others get `403`.
public struct SchedulesController: Sendable {
    /// How many upcoming instants a schedule shows in `next`.
    public static let upcomingCount = 5

    let store: (any ScheduleStore)?
    let scheduler: Scheduler?
    let clock: any WallClock
    let maxBodyBytes: Int

    /// Creates the routes over `store` (`nil` when the server's store keeps no schedules: every route then
    /// answers `501`), waking `scheduler` after each change, reading the time an interval counts from by
    /// default from `clock`, and refusing bodies larger than `maxBodyBytes`.
    public init(
        store: (any ScheduleStore)?, scheduler: Scheduler?, clock: any WallClock = SystemWallClock(), maxBodyBytes: Int
    ) {
        self.store = store
        self.scheduler = scheduler
        self.clock = clock
        self.maxBodyBytes = maxBodyBytes
    }

    /// Adds the routes to `group`, which should be at `/v1/schedules`.
    public func addRoutes(to group: RouterGroup<HeraldRequestContext>) {
        group.on(method: .get, scope: .subscribe) { _, context in try await list(access: context.topicAccess) }
        group.on(":name", method: .put, scope: .admin) { request, context in
            try await save(try name(context), request, access: context.topicAccess)
        }
        group.on(":name", method: .get, scope: .subscribe) { _, context in
            try await show(try await authorized(context, for: [.subscribe]))
        }
        group.on(":name", method: .delete, scope: .admin) { _, context in
            try await delete(try await authorized(context, for: TopicAccess.scheduleAdministration))
        }
        group.on(":name/pause", method: .post, scope: .admin) { _, context in
            try await setPaused(try await authorized(context, for: TopicAccess.scheduleAdministration), true)
        }
        group.on(":name/resume", method: .post, scope: .admin) { _, context in
            try await setPaused(try await authorized(context, for: TopicAccess.scheduleAdministration), false)
        }
    }

    // MARK: Routes

    func list(access: TopicAccess = .unrestricted) async throws -> Response {
        let schedules = try await storeCall { store in try await store.schedules() }.filter {
            access.permitsSchedule(eventType: $0.schedule.event.type, scopes: [.subscribe])
        }
        return Response.json(
            .ok,
            ScheduleResource.encode(
                .object(["schedules": .array(schedules.map { ScheduleResource(stored: $0).jsonValue })])))
    }

    func save(_ name: String, _ request: Request, access: TopicAccess = .unrestricted) async throws -> Response {
        let store = try requireStore()
        let body = try await request.collectBody(limit: maxBodyBytes)
        let schedule: Schedule
        do {
            schedule = try Schedule.decode(json: body, name: name, now: clock.now)
        } catch {
            throw ProblemDetails.invalidSchedule(error)
        }
        try access.checkSchedule(name, eventType: schedule.event.type, scopes: TopicAccess.scheduleAdministration)
        if access.isLimited(.admin) || access.isLimited(.publish),
            let existing = try await storeCall({ store in try await store.schedule(named: name) })
        {
            try access.checkSchedule(
                name, eventType: existing.schedule.event.type, scopes: TopicAccess.scheduleAdministration)
        }
        let (stored, created) = try await storeCall { _ in try await store.saveSchedule(schedule) }
        scheduler?.wake()
        return Response.json(
            created ? .created : .ok, ScheduleResource.encode(ScheduleResource(stored: stored).jsonValue))
    }

    func show(_ name: String) async throws -> Response {
        guard let stored = try await storeCall({ store in try await store.schedule(named: name) }) else {
            throw ProblemDetails.scheduleNotFound(name)
        }
        return Response.json(.ok, ScheduleResource.encode(ScheduleResource(stored: stored).jsonValue))
    }

    func delete(_ name: String) async throws -> Response {
        guard try await storeCall({ store in try await store.deleteSchedule(named: name) }) else {
            throw ProblemDetails.scheduleNotFound(name)
        }
        scheduler?.wake()
        return Response(status: .noContent)
    }

    func setPaused(_ name: String, _ paused: Bool) async throws -> Response {
        guard let stored = try await storeCall({ store in try await store.setSchedulePaused(named: name, paused) })
        else {
            throw ProblemDetails.scheduleNotFound(name)
        }
        scheduler?.wake()
        return Response.json(.ok, ScheduleResource.encode(ScheduleResource(stored: stored).jsonValue))
    }

    // MARK: Helpers

    /// The schedule name in the path, once the request's key may use the schedule with each of `scopes`: when one
    /// is limited to some topics, the schedule must exist (else `404`) and its event type be within them (else
    /// `403`).
    private func authorized(_ context: HeraldRequestContext, for scopes: [APIKey.Scope]) async throws -> String {
        let name = try name(context)
        let access = context.topicAccess
        guard scopes.contains(where: access.isLimited) else { return name }
        guard let stored = try await storeCall({ store in try await store.schedule(named: name) }) else {
            throw ProblemDetails.scheduleNotFound(name)
        }
        try access.checkSchedule(name, eventType: stored.schedule.event.type, scopes: scopes)
        return name
    }

    /// The schedule name in the path, checked against the naming rule.
    private func name(_ context: HeraldRequestContext) throws -> String {
        _ = try requireStore()
        let name = try context.parameters.require("name")
        do {
            try Schedule.validate(name: name)
        } catch {
            throw ProblemDetails.invalidSchedule(error)
        }
        return name
    }

    private func requireStore() throws(ProblemDetails) -> any ScheduleStore {
        guard let store else { throw .schedulesNotSupported() }
        return store
    }

    /// Runs a store call, turning its errors into the problem of the right status.
    private func storeCall<Value>(_ body: (any ScheduleStore) async throws -> Value) async throws -> Value {
        let store = try requireStore()
        do {
            return try await body(store)
        } catch let error as ScheduleDefinitionError {
            throw ProblemDetails.invalidSchedule(error)
        } catch let error as EventLogError {
            throw ProblemDetails.storeError(error)
        }
    }
}
