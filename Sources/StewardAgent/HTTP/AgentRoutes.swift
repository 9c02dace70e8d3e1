import Hummingbird

/// The agent's HTTP API, one route collection per resource: health and the
/// routing table open, push notices checked by their signature, reads
/// behind the read check (open unless a read token is set), writes behind
/// the API token. The bearer check is middleware on each group, never
/// repeated in a handler.
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

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        HealthRoutes(snapshot: reconciler.snapshot).add(to: router)
        RouteTableRoutes(routes: reconciler.routes).add(to: router)
        HookRoutes(webhook: webhook, trigger: trigger).add(to: router)
        let reads = RouteCollection(context: BasicRequestContext.self).add(middleware: BearerMiddleware.reads(reader))
        StatusRoutes(reconciler: reconciler, page: page, ingest: ingest).add(to: reads)
        router.addRoutes(reads)
        let writes = RouteCollection(context: BasicRequestContext.self).add(middleware: BearerMiddleware.writes(token))
        let outcomes = OutcomeRoutes(reconciler: reconciler, ingest: ingest, evidenceArrived: evidenceArrived)
        outcomes.add(to: writes)
        TraceRoutes(outcomes: outcomes, attributes: reconciler.config.spanAttributes).add(to: writes)
        ControlRoutes(reconciler: reconciler, trigger: trigger).add(to: writes)
        router.addRoutes(writes)
        return router
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
