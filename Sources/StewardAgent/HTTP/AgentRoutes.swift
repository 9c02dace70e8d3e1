import Foundation
import Hummingbird
import StewardEngine
import StewardSpec
import StewardStore

/// The agent's HTTP API: routes out, outcomes in, status, health, and a
/// nudge to reconcile now. Writes need the bearer token.
struct AgentRoutes {
    let reconciler: Reconciler
    let ingest: IngestBuffer
    let token: BearerToken
    let webhook: GitWebhook
    let trigger: @Sendable () -> Void
    /// Who may read the status, the page, the commits and the metrics (everyone, without a read token).
    var reader = ReadAccess(token: nil, writer: BearerToken(file: nil))
    let page = RenderedPage()
    /// Called when outcomes are accepted: a round judges them soon.
    var evidenceArrived: @Sendable () -> Void = {}
    static let maxBody = 8 << 20

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("healthz") { _, _ in "ok\n" }
        router.get("readyz") { _, _ -> Response in
            reconciler.snapshot.value.ready ? text(.ok, "ready\n") : text(.serviceUnavailable, "not ready: no good desired state and routes yet\n")
        }
        router.get("v1/status") { request, context -> Response in
            guard reader.accepts(request.headers[.authorization]) else { return unauthorized(context, request, reading: true) }
            let journal = reconciler.store.journal
            let decisions = (try? await blocking { try journal.recent(30) }) ?? []
            return json(.ok, StatusReport(reconciler.snapshot.value, journal: decisions))
        }
        router.get("/") { request, context -> Response in
            guard reader.accepts(request.headers[.authorization]) else { return unauthorized(context, request, reading: true) }
            let html = try await page.page {
                let journal = reconciler.store.journal, now = Date()
                let (decisions, history) = try await blocking {
                    (try journal.recent(30), try journal.weightHistory(since: now.addingTimeInterval(-86_400)))
                }
                return StatusPage(report: StatusReport(reconciler.snapshot.value, journal: decisions), history: history,
                                  now: now, commitURL: reconciler.config.commitURL).html
            }
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: html))
        }
        router.get("v1/commits/:id") { request, context -> Response in
            guard reader.accepts(request.headers[.authorization]) else { return unauthorized(context, request, reading: true) }
            let id = context.parameters.get("id") ?? ""
            guard let shown = await reconciler.describeCommit(id) else { return text(.notFound, "no commit '\(id)' in the agent's clone\n") }
            return text(.ok, shown)
        }
        router.get("metrics") { request, context -> Response in
            guard reader.accepts(request.headers[.authorization]) else { return unauthorized(context, request, reading: true) }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: reconciler.metrics.text)))
        }
        router.get("v1/routes") { request, _ -> Response in
            let wait = request.uri.queryParameters.get("wait").flatMap { StewardDurationParser.seconds($0) } ?? 0
            let known = request.headers[.ifNoneMatch]
            guard let current = await reconciler.routes.wait(notMatching: known, seconds: wait) else {
                return text(.serviceUnavailable, "no routes published yet\n")
            }
            let etag = "\"\(current.table.generation)\""
            if known == etag { return Response(status: .notModified, headers: [.eTag: etag]) }
            return Response(status: .ok, headers: [.contentType: "application/json", .eTag: etag], body: .init(byteBuffer: ByteBuffer(bytes: current.json)))
        }
        router.get("v1/route") { request, _ -> Response in
            guard let model = request.uri.queryParameters.get("model") else { return text(.badRequest, "give ?model=…&key=…\n") }
            guard let table = reconciler.routes.current?.table, let version = table.route(model: model, key: request.uri.queryParameters.get("key")) else {
                return text(.notFound, "no route for model '\(model)'\n")
            }
            return json(.ok, ["model": model, "version": version])
        }
        router.post("v1/outcomes") { request, context -> Response in
            guard token.accepts(request.headers[.authorization]) else { return unauthorized(context, request) }
            let body: ByteBuffer
            switch await ConnectionLimits.body(of: request, upTo: Self.maxBody) {
            case .complete(let bytes): body = bytes
            case .tooLarge: return text(.contentTooLarge, "the body is larger than \(Self.maxBody) bytes; send smaller batches\n")
            case .tooSlow: return Self.tooSlow
            }
            if let problem = ingest.writeProblem {
                // Refused, not kept: the client sends it again, and nothing is lost behind a 200.
                reconciler.metrics.ingestRefused()
                return text(.serviceUnavailable, "the agent cannot write outcomes (\(problem)); send this batch again later\n")
            }
            guard let batch = OutcomeBatch(json: Data(buffer: body), now: Date().timeIntervalSince1970, known: reconciler.snapshot.value.versions) else {
                return text(.badRequest, "expected a JSON object {\"outcomes\": [...]}\n")
            }
            guard ingest.add(batch.accepted) else {
                reconciler.metrics.ingestRefused()
                return text(.serviceUnavailable, "the agent holds \(IngestBuffer.maximumBuckets) buckets of outcomes it cannot write yet; "
                            + "nothing of this batch was kept: send it again later\n")
            }
            if !batch.accepted.isEmpty { evidenceArrived() }
            reconciler.metrics.ingested(accepted: batch.accepted.count, rejected: batch.rejected.count)
            let data = (try? JSONSerialization.data(withJSONObject: batch.report, options: [.sortedKeys])) ?? Data()
            return Response(status: batch.rejected.isEmpty ? .ok : .init(code: 207, reasonPhrase: "Multi-Status"), headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(data: data)))
        }
        router.post("v1/rollouts/:name/stop") { request, context -> Response in
            guard token.accepts(request.headers[.authorization]) else { return unauthorized(context, request) }
            let name = context.parameters.get("name") ?? ""
            guard reconciler.stopNow(name) else { return text(.notFound, "no rollout named '\(name)'\n") }
            trigger()
            return text(.accepted, "stopping \(name): all traffic to stable\n")
        }
        router.post("v1/hooks/git") { request, context -> Response in
            let body: ByteBuffer
            switch await ConnectionLimits.body(of: request, upTo: GitWebhook.maxBody) {
            case .complete(let bytes): body = bytes
            case .tooLarge:
                context.logger.warning("refused a webhook larger than \(GitWebhook.maxBody) bytes")
                return text(.contentTooLarge, "a push notice is at most \(GitWebhook.maxBody) bytes\n")
            case .tooSlow: return Self.tooSlow
            }
            switch webhook.answer(headers: request.headers, body: Array(body.readableBytesView)) {
            case .fetch(let sender):
                context.logger.info("verified push notice: fetching now", metadata: ["sender": "\(sender)"])
                trigger()
                return text(.accepted, "fetching\n")
            case .ignore(let why):
                return text(.ok, why + "\n")
            case .refuse(let why):
                context.logger.warning("refused an unverified webhook", metadata: ["reason": "\(why)"])
                return text(.unauthorized, why + "\n")
            }
        }
        router.post("v1/reconcile") { request, context -> Response in
            guard token.accepts(request.headers[.authorization]) else { return unauthorized(context, request) }
            trigger()
            return text(.accepted, "reconciling\n")
        }
        return router
    }

    /// A body that did not arrive in time: answered, and the connection closed.
    static var tooSlow: Response {
        var response = text(.requestTimeout, "the body did not arrive within \(ConnectionLimits.bodyDeadline)\n")
        response.headers[.connection] = "close"
        return response
    }

    private func unauthorized(_ context: BasicRequestContext, _ request: Request, reading: Bool = false) -> Response {
        context.logger.warning("refused a request without its token", metadata: ["path": "\(request.uri.path)"])
        return text(.unauthorized, reading ? "a bearer token is required (Authorization: Bearer <token from readTokenFile or apiTokenFile>)\n"
                                           : "a bearer token is required (Authorization: Bearer <token from apiTokenFile>)\n")
    }
}

private func text(_ status: HTTPResponse.Status, _ body: String) -> Response {
    Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: body)))
}

private func json(_ status: HTTPResponse.Status, _ value: some Encodable) -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
    return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: data)))
}

/// `?wait=30s`: a duration as in the YAML, or plain seconds.
enum StewardDurationParser {
    static func seconds(_ text: String) -> Double? {
        Double(text) ?? StewardDuration(text).map(\.seconds)
    }
}

/// Reads are open unless a read token is configured; then the read token or the API token is needed.
struct ReadAccess: Sendable {
    let token: BearerToken?
    let writer: BearerToken

    func accepts(_ header: String?) -> Bool {
        guard let token else { return true }
        return token.accepts(header) || writer.accepts(header)
    }
}
