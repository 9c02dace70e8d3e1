import Foundation
import Hummingbird
import StewardStore

/// What the agent knows, for people and scripts: `GET /v1/status` (JSON),
/// `GET /` (the status page, rendered at most every two seconds),
/// `GET /v1/commits/:id` (one commit, as `git show --stat` tells it) and
/// `GET /metrics` (Prometheus text). Added behind the read check.
struct StatusRoutes {
    let reconciler: Reconciler
    let page: RenderedPage
    let ingest: IngestBuffer

    func add(to routes: some RouterMethods<BasicRequestContext>) {
        routes.get("v1/status") { _, _ -> Response in
            let journal = reconciler.store.journal
            let decisions = (try? await journal.recent(30)) ?? []
            var report = StatusReport(reconciler.snapshot.value, journal: decisions, outcomeWriteProblem: ingest.writeProblem)
            if let shards = reconciler.shards { await report.addShared(shards: shards, store: reconciler.store, models: reconciler.snapshot.value.models) }
            return .json(.ok, report)
        }
        routes.get("/") { _, _ -> Response in
            let html = try await page.page {
                let journal = reconciler.store.journal, now = Date()
                let decisions = try await journal.recent(30)
                let history = try await journal.weightHistory(since: now.addingTimeInterval(-86_400))
                return StatusPage(report: StatusReport(reconciler.snapshot.value, journal: decisions), history: history,
                                  now: now, commitURL: reconciler.config.commitURL).html
            }
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: html))
        }
        routes.get("v1/commits/:id") { _, context -> Response in
            let id = context.parameters.get("id") ?? ""
            guard let shown = await reconciler.describeCommit(id) else { return .text(.notFound, "no commit '\(id)' in the agent's clone\n") }
            return .text(.ok, shown)
        }
        routes.get("metrics") { _, _ -> Response in
            if let shards = reconciler.shards {
                let counts = shards.counts
                reconciler.metrics.shards(held: shards.acting.count, takeovers: counts.takeovers, staleTermRefusals: counts.staleTermRefusals)
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: reconciler.metrics.text)))
        }
    }
}
