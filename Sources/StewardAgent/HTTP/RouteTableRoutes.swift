import Hummingbird
import StewardRouting
import StewardSpec

/// The routing table for gateways: `GET /v1/routes` (long-polled with
/// `?wait=30s` and `If-None-Match`) and `GET /v1/route?model=…&key=…` (one
/// answer). Open: a gateway needs no token to route.
struct RouteTableRoutes {
    let routes: any RoutesPublisher

    func add(to router: some RouterMethods<BasicRequestContext>) {
        router.get("v1/routes") { request, _ -> Response in
            let wait = request.uri.queryParameters.get("wait").flatMap { StewardDurationParser.seconds($0) } ?? 0
            let known = request.headers[.ifNoneMatch]
            guard let current = await routes.wait(notMatching: known, seconds: wait) else {
                return .text(.serviceUnavailable, "no routes published yet\n")
            }
            let etag = "\"\(current.table.generation)\""
            if known == etag { return Response(status: .notModified, headers: [.eTag: etag]) }
            return Response(status: .ok, headers: [.contentType: "application/json", .eTag: etag], body: .init(byteBuffer: ByteBuffer(bytes: current.json)))
        }
        router.get("v1/route") { request, _ -> Response in
            guard let model = request.uri.queryParameters.get("model") else { return .text(.badRequest, "give ?model=…&key=…\n") }
            guard let table = routes.current?.table, let version = table.route(model: model, key: request.uri.queryParameters.get("key")) else {
                return .text(.notFound, "no route for model '\(model)'\n")
            }
            return .json(.ok, ["model": model, "version": version])
        }
    }
}

/// `?wait=30s`: a duration as in the YAML, or plain seconds.
enum StewardDurationParser {
    static func seconds(_ text: String) -> Double? {
        Double(text) ?? StewardDuration(text).map(\.seconds)
    }
}
