import Foundation
import Prometheus
import StewardEngine
import Synchronization

/// The agent's own metrics, served at `GET /metrics` in Prometheus's text
/// format (swift-prometheus): how long rounds take, what the agent did,
/// where each rollout stands, how fresh its view of git is, what the
/// analysis decided, and what the ingest took in. Every metric has help
/// text, so `promtool check metrics` accepts the page.
final class AgentMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let roundDuration: DurationHistogram
    /// The replica's counts already added to their counters.
    private let reportedShardCounts = Mutex((takeovers: 0, refusals: 0))

    init() {
        roundDuration = registry.makeDurationHistogram(
            name: "steward_reconcile_duration_seconds",
            buckets: [.milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                      .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30)],
            help: "How long one reconcile round took: fetch, load, evidence, plan and actions.")
    }

    /// The exposition text.
    var text: String { registry.emitToString() }

    func roundTook(_ duration: Duration) { roundDuration.record(duration) }

    /// An action the agent carried out (`done`) or that failed.
    func action(_ kind: String, outcome: String) {
        registry.makeCounter(name: "steward_actions_total", labels: [("kind", kind), ("outcome", outcome)],
                             help: "Actions the agent took, by kind (setWeights, promote, rollback, …) and outcome (done, failed).").increment()
    }

    /// A verdict the analysis reached.
    func verdict(metric: String, result: Verdict.Outcome) {
        registry.makeCounter(name: "steward_verdicts_total", labels: [("metric", metric), ("result", result.rawValue)],
                             help: "Verdicts reached on pooled evidence, by metric and result (pass, fail, inconclusive).").increment()
    }

    /// The desired state read at a tip: one rollout's file (an action checks
    /// its rollout at the tip it commits on) or the whole tree (a new tip).
    func parsed(wholeTree: Bool) {
        registry.makeCounter(name: "steward_desired_state_parses_total", labels: [("scope", wholeTree ? "tree" : "file")],
                             help: "Reads of the desired state at a tip: the whole tree (a new tip) or one rollout's file (an action's check).").increment()
    }

    func gitError(_ operation: String) {
        registry.makeCounter(name: "steward_git_errors_total", labels: [("operation", operation)],
                             help: "Failed git operations, by operation (fetch, push, other); the last good state is served meanwhile.").increment()
    }

    func fetched(at time: Date) {
        registry.makeGauge(name: "steward_last_fetch_timestamp_seconds",
                           help: "When the branch was last fetched successfully, in seconds since the Unix epoch.").set(time.timeIntervalSince1970)
    }

    func ingested(accepted: Int, rejected: Int) {
        registry.makeCounter(name: "steward_outcomes_ingested_total", help: "Request outcomes accepted by POST /v1/outcomes.").increment(by: Int64(accepted))
        registry.makeCounter(name: "steward_outcomes_rejected_total", help: "Request outcomes refused by POST /v1/outcomes, each with its reason.")
            .increment(by: Int64(rejected))
    }

    /// A whole batch refused because the outcomes could not be kept (the store cannot write, or the buffer is full).
    func ingestRefused() {
        registry.makeCounter(name: "steward_outcome_batches_refused_total",
                             help: "POST /v1/outcomes batches refused whole with 503: the store could not write, or the buffer was full.").increment()
    }

    func journalPending(_ count: Int) {
        registry.makeGauge(name: "steward_journal_pending", help: "Journalled actions found begun and never finished (a crash) at the start of the last round.").set(Double(count))
    }

    /// A replica's leases: how many shards it acts on now, and (added to
    /// counters) shards it took under a new term and writes refused for a stale one.
    func shards(held: Int, takeovers: Int, staleTermRefusals: Int) {
        registry.makeGauge(name: "steward_shard_leases_held", help: "Shards of the rollouts this replica holds a lease on and acts on now.").set(Double(held))
        let (newTakeovers, newRefusals) = reportedShardCounts.withLock { reported in
            defer { reported = (takeovers, staleTermRefusals) }
            return (takeovers - reported.takeovers, staleTermRefusals - reported.refusals)
        }
        registry.makeCounter(name: "steward_shard_takeovers_total", help: "Shards this replica took under a new term (at start, or from a replica gone).")
            .increment(by: Int64(max(newTakeovers, 0)))
        registry.makeCounter(name: "steward_stale_term_refusals_total", help: "Writes of this replica the store refused because another replica holds the shard now.")
            .increment(by: Int64(max(newRefusals, 0)))
    }

    /// Each rollout's weight and the count of rollouts in each phase, as the round left them.
    func rollouts(_ statuses: [String: RolloutStatus]) {
        var phases = Dictionary(uniqueKeysWithValues: RolloutStatus.Phase.allCases.map { ($0, 0) })
        for (name, status) in statuses {
            phases[status.phase, default: 0] += 1
            registry.makeGauge(name: "steward_canary_weight_percent", labels: [("rollout", name)],
                               help: "The canary's share of each rollout's traffic, in percent.").set(Double(status.canaryWeight))
        }
        for (phase, count) in phases {
            registry.makeGauge(name: "steward_rollouts", labels: [("phase", phase.rawValue)], help: "Rollouts in each phase.").set(Double(count))
        }
    }
}
