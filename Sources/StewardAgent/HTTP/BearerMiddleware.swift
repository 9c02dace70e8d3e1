import Hummingbird
import Logging

/// The bearer check in front of a group of routes: a request without the
/// token is answered 401 and logged (without the token), before any handler
/// runs. Writes need the API token; reads, the read token when one is set.
struct BearerMiddleware<Context: RequestContext>: RouterMiddleware {
    let accepts: @Sendable (String?) -> Bool
    /// What a person is told to send.
    let expected: String

    static func writes(_ token: BearerToken) -> Self {
        Self(accepts: token.accepts, expected: "Authorization: Bearer <token from apiTokenFile>")
    }

    static func reads(_ access: ReadAccess) -> Self {
        Self(accepts: access.accepts, expected: "Authorization: Bearer <token from readTokenFile or apiTokenFile>")
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard accepts(request.headers[.authorization]) else {
            context.logger.warning("refused a request without its token", metadata: ["path": "\(request.uri.path)"])
            return .text(.unauthorized, "a bearer token is required (\(expected))\n")
        }
        return try await next(request, context)
    }
}
