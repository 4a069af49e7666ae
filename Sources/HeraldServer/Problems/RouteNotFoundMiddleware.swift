import Hummingbird

/// Turns the router's empty `404` for a path or method it has no route for into a problem that names the
/// request and where the routes are listed.
struct RouteNotFoundMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound && error.body == nil {
            throw ProblemDetails.notFound(
                "there is no route for \(request.method) \(request.uri.path); the HTTP API's routes are listed in "
                    + "its OpenAPI document, GET /v1/openapi.json, and the dashboard is at /")
        }
    }
}
